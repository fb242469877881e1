"""Deterministic calendar arithmetic for due dates and reminders: business days, partner time zones,
public holidays, quiet hours.

Workflows import this module through imports_passed_through(), so ZoneInfo objects are real ones.
Holidays are the partner's local dates (domain.public_holidays), handed in as data, never looked up here.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, time, timedelta
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


def is_business_day(day: date, holidays: Collection[date] = ()) -> bool:
    return day.weekday() < 5 and day not in holidays


def _next_business_date(day: date, holidays: Collection[date]) -> date:
    for _ in range(60):  # no calendar has 60 days off in a row; a bad holiday list must not hang a worker
        if is_business_day(day, holidays):
            return day
        day += timedelta(days=1)
    raise ValueError(f"no business day within 60 days of {day}")


def next_allowed(
    moment: datetime, tz: str, quiet_start: str, quiet_end: str, holidays: Collection[date] = ()
) -> datetime:
    """The first instant at or after `moment` that is on a business day and outside quiet hours."""
    local = moment.astimezone(zone(tz))
    for _ in range(60):
        if not is_business_day(local.date(), holidays):
            day = _next_business_date(local.date(), holidays)
            local = datetime.combine(day, _hhmm(quiet_end), local.tzinfo)
            continue
        if in_quiet_hours(local, quiet_start, quiet_end):
            end = _hhmm(quiet_end)
            day = local.date() if local.time() < end else local.date() + timedelta(days=1)
            local = datetime.combine(day, end, local.tzinfo)
            continue
        return local.astimezone(moment.tzinfo)
    raise ValueError("quiet hours leave no time to send")


def add_business_days(moment: datetime, days: int, tz: str, holidays: Collection[date] = ()) -> datetime:
    """`days` business days later at the same local wall-clock time in the partner's zone."""
    local = moment.astimezone(zone(tz))
    day = local.date()
    while days > 0:
        day += timedelta(days=1)
        if is_business_day(day, holidays):
            days -= 1
    return datetime.combine(day, local.timetz().replace(tzinfo=None), local.tzinfo).astimezone(moment.tzinfo)


def due_at(start: datetime, days: int, tz: str, holidays: Collection[date] = ()) -> datetime:
    """`days` calendar days after `start`, moved to the next business day (same local time) when that
    falls on a weekend or a public holiday of the partner: a step is never due on a day off."""
    local = (start + timedelta(days=days)).astimezone(zone(tz))
    day = _next_business_date(local.date(), holidays)
    return datetime.combine(day, local.timetz().replace(tzinfo=None), local.tzinfo).astimezone(start.tzinfo)


def reminder_at(
    previous: datetime,
    every_business_days: int,
    tz: str,
    quiet_start: str,
    quiet_end: str,
    holidays: Collection[date] = (),
) -> datetime:
    later = add_business_days(previous, every_business_days, tz, holidays)
    return next_allowed(later, tz, quiet_start, quiet_end, holidays)
