from __future__ import annotations

from datetime import UTC, datetime

from domain.schedule import add_business_days, in_quiet_hours, next_allowed, reminder_at


class TestBusinessDays:
    def test_friday_plus_one_is_monday_in_the_partner_zone(self) -> None:
        friday = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # 16:00 in Berlin
        monday = add_business_days(friday, 1, "Europe/Berlin")
        assert monday == datetime(2026, 11, 23, 15, 0, tzinfo=UTC)

    def test_weekday_is_judged_locally_not_in_utc(self) -> None:
        # Friday 23:30 UTC is already Saturday morning in Sydney: +1 business day is Monday there.
        moment = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)
        result = add_business_days(moment, 1, "Australia/Sydney").astimezone()
        assert result.astimezone(UTC) == datetime(2026, 11, 22, 23, 30, tzinfo=UTC)


class TestQuietHours:
    def test_overnight_window(self) -> None:
        assert in_quiet_hours(datetime(2026, 1, 5, 22, 0), "19:00", "08:00")
        assert in_quiet_hours(datetime(2026, 1, 5, 7, 59), "19:00", "08:00")
        assert not in_quiet_hours(datetime(2026, 1, 5, 8, 0), "19:00", "08:00")

    def test_evening_moves_to_next_morning(self) -> None:
        evening = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)  # Tuesday 15:00 New York: allowed
        assert next_allowed(evening, "America/New_York", "19:00", "08:00") == evening
        late = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # Tuesday 21:00 New York: quiet
        assert next_allowed(late, "America/New_York", "19:00", "08:00") == datetime(2026, 11, 25, 13, 0, tzinfo=UTC)

    def test_friday_night_reminder_waits_for_monday_morning(self) -> None:
        thursday_night = datetime(2026, 11, 19, 21, 0, tzinfo=UTC)
        at = reminder_at(thursday_night, 1, "UTC", "19:00", "08:00")
        assert at == datetime(2026, 11, 23, 8, 0, tzinfo=UTC)

    def test_unknown_zone_falls_back_to_utc(self) -> None:
        moment = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
        assert next_allowed(moment, "Mars/Olympus", "19:00", "08:00") == moment
