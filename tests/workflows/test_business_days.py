"""Due dates and reminders on business days of the partner's country, on the time-skipping server.

quickstart-14d's first step, icp, is due 3 days after its invite with a reminder every business day
(two at most). Each test moves the server's clock to a chosen local moment before the cohort starts.
German Unity Day (3 October) is a fixed-date national holiday; the tests pick the next year in which it
falls on a Tuesday or Wednesday, so the expected days are plain calendar facts, not the package's output.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from temporalio.testing import WorkflowEnvironment

from db.session import SessionFactory
from settings import Settings
from tests.factories import create_cohort, partner, settings_for
from tests.waiting import eventually
from tests.workflows.helpers import events, partner_ids, running_worker, start_journey, steps
from tests.workflows.test_replay import save
from workflows.journey.messages import journey_id

BERLIN = ZoneInfo("Europe/Berlin")


def unity_day(after: date, weekdays: tuple[int, ...]) -> date:
    year = after.year
    while date(year, 10, 3) <= after + timedelta(days=7) or date(year, 10, 3).weekday() not in weekdays:
        year += 1
    return date(year, 10, 3)


async def start_at(
    ts_env: WorkflowEnvironment, sessions: SessionFactory, settings: Settings, local: datetime
) -> tuple[str, str]:
    """Skip the clock to `local` (Berlin), then start a German partner's journey there."""
    now = await ts_env.get_current_time()
    await ts_env.sleep(local.astimezone(UTC) - now)
    berliner = partner("Berliner Cloud", "ISV", timezone="Europe/Berlin", country="DE")
    cohort = await create_cohort(sessions, [berliner], starts_at=await ts_env.get_current_time())
    [pid] = await partner_ids(sessions, cohort.id)
    await start_journey(ts_env.client, settings, cohort, pid)
    return cohort.id, journey_id(cohort.id, pid)


def close(seen: datetime, expected: datetime) -> bool:
    """The server clock lands a fraction of a second after the moment the test skipped to."""
    return abs(seen - expected) < timedelta(minutes=1)


async def icp_due(sessions: SessionFactory, jid: str) -> datetime:
    async def invited() -> datetime | None:
        row = (await steps(sessions, jid)).get("icp")
        return row.due_at if row else None

    due = await eventually(invited, what="the icp step invited with its due date")
    return due.replace(tzinfo=due.tzinfo or UTC).astimezone(BERLIN)


async def reminder_days(sessions: SessionFactory, jid: str) -> list[date]:
    reminded = [e for e in await events(sessions, jid) if e.kind == "step_reminded" and e.step_key == "icp"]
    return [e.occurred_at.replace(tzinfo=e.occurred_at.tzinfo or UTC).astimezone(BERLIN).date() for e in reminded]


class TestBusinessDayDueDates:
    async def test_a_due_date_on_sunday_moves_to_monday(
        self, ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
    ) -> None:
        today = (await ts_env.get_current_time()).astimezone(BERLIN).date()
        thursday = today + timedelta(days=(3 - today.weekday()) % 7 + 7)
        settings = settings_for(sqlite_sessions)
        async with running_worker(ts_env.client, settings, sqlite_sessions):
            _, jid = await start_at(ts_env, sqlite_sessions, settings, datetime.combine(thursday, time(10), BERLIN))
            due = await icp_due(sqlite_sessions, jid)
        assert close(due, datetime.combine(thursday + timedelta(days=4), time(10), BERLIN))  # Monday, not Sunday
        assert due.weekday() == 0

    async def test_a_due_date_on_the_partners_public_holiday_moves_to_the_next_business_day(
        self, ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
    ) -> None:
        today = (await ts_env.get_current_time()).astimezone(BERLIN).date()
        holiday = unity_day(today, weekdays=(1, 2))  # Tuesday or Wednesday: the next day is a working day
        start = datetime.combine(holiday - timedelta(days=3), time(10), BERLIN)
        settings = settings_for(sqlite_sessions)
        async with running_worker(ts_env.client, settings, sqlite_sessions):
            _, jid = await start_at(ts_env, sqlite_sessions, settings, start)
            due = await icp_due(sqlite_sessions, jid)
        assert close(due, datetime.combine(holiday + timedelta(days=1), time(10), BERLIN))

    async def test_reminders_skip_the_holiday_and_the_step_goes_overdue_on_its_business_day(
        self, ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
    ) -> None:
        today = (await ts_env.get_current_time()).astimezone(BERLIN).date()
        holiday = unity_day(today, weekdays=(1, 2))
        eve = holiday - timedelta(days=1)  # invited the working day before: the first reminder would be on the holiday
        settings = settings_for(sqlite_sessions)
        async with running_worker(ts_env.client, settings, sqlite_sessions):
            _, jid = await start_at(ts_env, sqlite_sessions, settings, datetime.combine(eve, time(10), BERLIN))
            due = await icp_due(sqlite_sessions, jid)
            await ts_env.sleep(due.astimezone(UTC) - await ts_env.get_current_time() + timedelta(hours=1))
            overdue = await eventually(
                lambda: _status(sqlite_sessions, jid, "overdue"), what="icp overdue after its due date"
            )
            reminded = await reminder_days(sqlite_sessions, jid)
        assert overdue
        assert holiday not in reminded
        assert reminded and reminded[0] == holiday + timedelta(days=1)


async def _status(sessions: SessionFactory, jid: str, status: str) -> bool:
    row = (await steps(sessions, jid)).get("icp")
    return row is not None and row.status == status


@pytest.mark.skipif(not os.environ.get("COSELL_RECORD_HISTORIES"), reason="set COSELL_RECORD_HISTORIES=1 to re-record")
async def test_record_business_day_history(ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory) -> None:
    """A German partner invited the day before German Unity Day: a reminder after it, then overdue."""
    today = (await ts_env.get_current_time()).astimezone(BERLIN).date()
    holiday = unity_day(today, weekdays=(1, 2))
    settings = settings_for(sqlite_sessions)
    async with running_worker(ts_env.client, settings, sqlite_sessions):
        start = datetime.combine(holiday - timedelta(days=1), time(10), BERLIN)
        _, jid = await start_at(ts_env, sqlite_sessions, settings, start)
        await icp_due(sqlite_sessions, jid)
        first_run = (await ts_env.client.get_workflow_handle(jid).describe()).run_id
        await ts_env.sleep(timedelta(days=6))
        save("journey-business-days", await ts_env.client.get_workflow_handle(jid, run_id=first_run).fetch_history())
