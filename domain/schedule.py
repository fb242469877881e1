"""Deterministic calendar arithmetic for reminders: business days, partner time zones, quiet hours.

Workflows import this module through imports_passed_through(), so ZoneInfo objects are real ones.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def in_quiet_hours(local: datetime, quiet_start: str, quiet_end: str) -> bool:
    start, end, now = _hhmm(quiet_start), _hhmm(quiet_end), local.time()
    if start <= end:
        return start <= now < end
    return now >= start or now < end


def next_allowed(moment: datetime, tz: str, quiet_start: str, quiet_end: str) -> datetime:
    """The first instant at or after `moment` that is on a weekday and outside quiet hours."""
    local = moment.astimezone(zone(tz))
    for _ in range(14):
        if local.weekday() >= 5:
            local = datetime.combine(local.date() + timedelta(days=7 - local.weekday()), _hhmm(quiet_end), local.tzinfo)
            continue
        if in_quiet_hours(local, quiet_start, quiet_end):
            end = _hhmm(quiet_end)
            day = local.date() if local.time() < end else local.date() + timedelta(days=1)
            local = datetime.combine(day, end, local.tzinfo)
            continue
        return local.astimezone(moment.tzinfo)
    raise ValueError("quiet hours leave no time to send")


def add_business_days(moment: datetime, days: int, tz: str) -> datetime:
    """`days` weekdays later at the same local wall-clock time in the partner's zone."""
    local = moment.astimezone(zone(tz))
    day = local.date()
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return datetime.combine(day, local.timetz().replace(tzinfo=None), local.tzinfo).astimezone(moment.tzinfo)


def reminder_at(previous: datetime, every_business_days: int, tz: str, quiet_start: str, quiet_end: str) -> datetime:
    return next_allowed(add_business_days(previous, every_business_days, tz), tz, quiet_start, quiet_end)
