"""When an AE's daily digest goes out: intro requests and partner deal registrations made before 16:00
UTC go into that weekday's digest (one email per AE per day, `IntroBatchWorkflow` `intros/<ae>/<day>`)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from domain.schedule import zone

# The digest goes out in the afternoon of the AE's working day, so the morning's requests are in it
# and it lands while the AE is still at work. AEs carry no time zone yet: UTC.
DIGEST_AT = time(16, 0)
AE_TIMEZONE = "UTC"


def digest_slot(moment: datetime, tz: str = AE_TIMEZONE) -> tuple[str, datetime]:
    """The AE's digest a request made at `moment` goes into: (day, send time). Weekends roll to Monday."""
    local = moment.astimezone(zone(tz))
    day = local.date()
    if local.time() >= DIGEST_AT:
        day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day.isoformat(), send_at(day, tz)


def send_at(day: date, tz: str = AE_TIMEZONE) -> datetime:
    return datetime.combine(day, DIGEST_AT, zone(tz)).astimezone(zone("UTC"))


def next_day(day: str) -> tuple[str, datetime]:
    """The digest after `day`'s (the next weekday's)."""
    return digest_slot(send_at(date.fromisoformat(day), AE_TIMEZONE))
