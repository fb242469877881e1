from __future__ import annotations

from datetime import UTC, date, datetime

from domain.public_holidays import normalize_country, public_holidays
from domain.schedule import add_business_days, due_at, in_quiet_hours, next_allowed, reminder_at


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


class TestDueDates:
    def test_a_due_date_on_sunday_moves_to_monday_same_local_time(self) -> None:
        thursday = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)  # 10:00 in Berlin; +3 days is Sunday 6 Dec
        assert due_at(thursday, 3, "Europe/Berlin") == datetime(2026, 12, 7, 9, 0, tzinfo=UTC)

    def test_a_weekday_due_date_stays(self) -> None:
        monday = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
        assert due_at(monday, 3, "Europe/Berlin") == datetime(2026, 12, 3, 9, 0, tzinfo=UTC)

    def test_german_unity_day_moves_a_german_partners_due_date(self) -> None:
        german = frozenset(public_holidays("DE", [2028]))
        saturday = datetime(2028, 9, 30, 8, 0, tzinfo=UTC)  # +3 days is Tuesday 3 Oct
        assert due_at(saturday, 3, "Europe/Berlin", german) == datetime(2028, 10, 4, 8, 0, tzinfo=UTC)
        # The same day is an ordinary Tuesday for a US partner.
        american = frozenset(public_holidays("US", [2028]))
        assert due_at(saturday, 3, "Europe/Berlin", american) == datetime(2028, 10, 3, 8, 0, tzinfo=UTC)

    def test_thanksgiving_moves_a_us_partners_due_date_to_friday(self) -> None:
        us = frozenset(public_holidays("US", [2026]))
        monday = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # 10:00 in New York; +3 days is Thursday 26 Nov
        assert due_at(monday, 3, "America/New_York", us) == datetime(2026, 11, 27, 15, 0, tzinfo=UTC)

    def test_the_holiday_is_judged_on_the_partners_local_date(self) -> None:
        # 23:30 UTC on 2 Oct is already 3 Oct (a holiday) in Berlin, but still 2 Oct in New York.
        german = frozenset(public_holidays("DE", [2028]))
        start = datetime(2028, 9, 29, 23, 30, tzinfo=UTC)
        assert due_at(start, 3, "Europe/Berlin", german) == datetime(2028, 10, 3, 23, 30, tzinfo=UTC)  # Wed 01:30
        assert due_at(start, 3, "America/New_York", german) == datetime(2028, 10, 2, 23, 30, tzinfo=UTC)


class TestHolidayReminders:
    def test_a_reminder_never_lands_on_a_public_holiday(self) -> None:
        us = frozenset(public_holidays("US", [2026]))
        wednesday = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # 10:00 in New York, the day before Thanksgiving
        assert reminder_at(wednesday, 1, "America/New_York", "19:00", "08:00") == datetime(
            2026, 11, 26, 15, 0, tzinfo=UTC
        )
        at = reminder_at(wednesday, 1, "America/New_York", "19:00", "08:00", us)
        assert at == datetime(2026, 11, 27, 15, 0, tzinfo=UTC)

    def test_a_moment_on_a_holiday_waits_for_the_next_business_morning(self) -> None:
        german = frozenset(public_holidays("DE", [2026]))
        christmas_day = datetime(2026, 12, 25, 10, 0, tzinfo=UTC)  # Friday; 26th is Saturday
        at = next_allowed(christmas_day, "Europe/Berlin", "19:00", "08:00", german)
        assert at == datetime(2026, 12, 28, 7, 0, tzinfo=UTC)  # Monday 08:00 in Berlin


class TestPublicHolidays:
    def test_country_calendars(self) -> None:
        assert date(2026, 10, 3) in public_holidays("de", [2026])
        assert date(2026, 11, 26) in public_holidays("US", [2026])
        assert date(2026, 11, 26) not in public_holidays("DE", [2026])

    def test_no_or_unknown_country_means_no_holidays(self) -> None:
        assert public_holidays(None, [2026]) == []
        assert public_holidays("", [2026]) == []
        assert public_holidays("EMEA", [2026]) == []
        assert normalize_country("XX") is None and normalize_country(" gb ") == "GB"
