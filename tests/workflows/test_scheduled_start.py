"""A window whose start is in the future waits for it on a durable timer (simulated time)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from api.cohorts import service
from api.cohorts.schemas import CohortOut
from db.models import EmailOutbox, Journey
from db.session import SessionFactory, transaction
from settings import Settings
from tests.factories import create_cohort, partner, settings_for
from tests.waiting import eventually
from tests.workflows.helpers import emails, partner_ids, running_worker
from tests.workflows.test_window_control import cohort_row, completed
from workflows.journey.messages import journey_id
from workflows.window.messages import WindowChange, window_id
from workflows.window.workflow import ActivationWindowWorkflow


async def scheduled(
    ts_env: WorkflowEnvironment, sessions: SessionFactory, settings: Settings, in_days: int
) -> CohortOut:
    now = await ts_env.get_current_time()
    cohort = await create_cohort(sessions, [partner()], starts_at=now + timedelta(days=in_days), duration_days=14)
    await service.launch(ts_env.client, settings.task_queue, cohort)
    return cohort


async def status_is(sessions: SessionFactory, cohort_id: str, wanted: str) -> bool:
    status = (await cohort_row(sessions, cohort_id)).status
    assert status == wanted, status
    return True


async def invites(sessions: SessionFactory, jid: str) -> int:
    return len([m for m in await emails(sessions, jid) if m.kind == "step_invite"])


async def sent_anything(sessions: SessionFactory) -> int:
    async with transaction(sessions) as session:
        return await session.scalar(select(func.count()).select_from(EmailOutbox)) or 0


async def journey_started(sessions: SessionFactory, jid: str) -> datetime:
    async with transaction(sessions) as session:
        row = await session.get(Journey, jid)
        assert row is not None, "no journey yet"
        return row.started_at


async def one_invite(sessions: SessionFactory, jid: str) -> bool:
    count = await invites(sessions, jid)
    assert count == 1, count
    return True


class TestScheduledStart:
    async def test_waits_for_its_start_and_a_worker_restart_neither_loses_nor_doubles_it(
        self, ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
    ) -> None:
        settings = settings_for(sqlite_sessions)
        # No workflow cache, so no sticky queue: the time-skipping test server never hands a task left on a
        # stopped worker's sticky queue to another worker, and would hold the window's next task (and the clock).
        first = {"max_cached_workflows": 0}
        async with running_worker(ts_env.client, settings, sqlite_sessions, **first):
            cohort = await scheduled(ts_env, sqlite_sessions, settings, in_days=3)
            [pid] = await partner_ids(sqlite_sessions, cohort.id)
            jid = journey_id(cohort.id, pid)
            await eventually(lambda: status_is(sqlite_sessions, cohort.id, "scheduled"), what="shown as scheduled")
            await ts_env.sleep(timedelta(days=1))
            assert await sent_anything(sqlite_sessions) == 0
        await ts_env.sleep(timedelta(days=1))  # no worker at all for a day: the timer lives on the server
        async with running_worker(ts_env.client, settings, sqlite_sessions):  # a new worker, same server
            assert await sent_anything(sqlite_sessions) == 0
            assert (await cohort_row(sqlite_sessions, cohort.id)).status == "scheduled"
            await ts_env.sleep(timedelta(days=1, hours=2))
            await eventually(lambda: one_invite(sqlite_sessions, jid), what="the invite after the start")
            await ts_env.sleep(timedelta(hours=3))  # room for a duplicate to appear, if there were one
        assert await invites(sqlite_sessions, jid) == 1 and await sent_anything(sqlite_sessions) == 1
        assert await journey_started(sqlite_sessions, jid) >= cohort.starts_at
        assert (await cohort_row(sqlite_sessions, cohort.id)).status == "active"

    async def test_a_reschedule_moves_the_start(
        self, ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
    ) -> None:
        settings = settings_for(sqlite_sessions)
        async with running_worker(ts_env.client, settings, sqlite_sessions):
            cohort = await scheduled(ts_env, sqlite_sessions, settings, in_days=2)
            [pid] = await partner_ids(sqlite_sessions, cohort.id)
            jid = journey_id(cohort.id, pid)
            window: WorkflowHandle = ts_env.client.get_workflow_handle(window_id(cohort.id))
            await eventually(lambda: status_is(sqlite_sessions, cohort.id, "scheduled"), what="shown as scheduled")
            later, end = cohort.starts_at + timedelta(days=3), cohort.ends_at + timedelta(days=3)
            move = WindowChange(key="r1", starts_at=later, ends_at=end)
            await window.signal(ActivationWindowWorkflow.change, move)
            await window.signal(ActivationWindowWorkflow.change, move)  # a retried call

            async def moved() -> bool:
                row = await cohort_row(sqlite_sessions, cohort.id)
                assert (row.starts_at, row.ends_at) == (later, end), (row.starts_at, row.ends_at)
                return True

            await eventually(moved, what="the new start recorded")
            await ts_env.sleep(timedelta(days=4))  # past the old start, a day before the new one
            assert await sent_anything(sqlite_sessions) == 0
            assert (await cohort_row(sqlite_sessions, cohort.id)).status == "scheduled"
            await ts_env.sleep(timedelta(days=1, hours=2))
            await eventually(lambda: one_invite(sqlite_sessions, jid), what="the invite after the new start")
        assert await journey_started(sqlite_sessions, jid) >= later

    async def test_a_cancel_before_the_start_ends_the_window_silently(
        self, ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
    ) -> None:
        settings = settings_for(sqlite_sessions)
        async with running_worker(ts_env.client, settings, sqlite_sessions):
            cohort = await scheduled(ts_env, sqlite_sessions, settings, in_days=5)
            window = ts_env.client.get_workflow_handle(window_id(cohort.id))
            await eventually(lambda: status_is(sqlite_sessions, cohort.id, "scheduled"), what="shown as scheduled")
            cancel = WindowChange(key="x1", exit_reason="the window was cancelled", status="cancelled")
            await window.signal(ActivationWindowWorkflow.change, cancel)
            await completed(window)
            assert await window.result() == 0
        assert (await cohort_row(sqlite_sessions, cohort.id)).status == "cancelled"
        assert await sent_anything(sqlite_sessions) == 0

    async def test_a_pause_and_a_new_end_before_the_start_carry_into_the_window(
        self, ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
    ) -> None:
        settings = settings_for(sqlite_sessions)
        async with running_worker(ts_env.client, settings, sqlite_sessions):
            cohort = await scheduled(ts_env, sqlite_sessions, settings, in_days=2)
            [pid] = await partner_ids(sqlite_sessions, cohort.id)
            jid = journey_id(cohort.id, pid)
            window = ts_env.client.get_workflow_handle(window_id(cohort.id))
            await eventually(lambda: status_is(sqlite_sessions, cohort.id, "scheduled"), what="shown as scheduled")
            new_end = cohort.ends_at + timedelta(days=7)
            await window.signal(ActivationWindowWorkflow.change, WindowChange(key="e1", ends_at=new_end))
            await window.signal(ActivationWindowWorkflow.change, WindowChange(key="p1", paused=True))
            await ts_env.sleep(timedelta(days=2, hours=2))
            await eventually(lambda: status_is(sqlite_sessions, cohort.id, "paused"), what="paused from the start")
            assert (await cohort_row(sqlite_sessions, cohort.id)).ends_at == new_end
            await ts_env.sleep(timedelta(days=1))
            assert await sent_anything(sqlite_sessions) == 0  # paused: the first invite waits
            await window.signal(ActivationWindowWorkflow.change, WindowChange(key="r1", paused=False))
            await eventually(lambda: one_invite(sqlite_sessions, jid), what="the invite after the resume")
