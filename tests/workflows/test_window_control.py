"""Window control on simulated time: pause/resume, extend, add/remove partners, close, cancel."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from api.cohorts import service
from db.models import Cohort, CohortMember
from db.session import SessionFactory, transaction
from tests.factories import create_cohort, partner, settings_for
from tests.waiting import eventually
from tests.workflows.helpers import emails, events, partner_ids, running_worker
from workflows.journey.messages import journey_id
from workflows.journey.workflow import PartnerJourneyWorkflow
from workflows.window.messages import PartnersChange, WindowChange, window_id
from workflows.window.workflow import ActivationWindowWorkflow


async def launch(ts_env: WorkflowEnvironment, sessions: SessionFactory, settings, *partners, days: int = 14):  # type: ignore[no-untyped-def]
    now = await ts_env.get_current_time()
    cohort = await create_cohort(sessions, list(partners) or [partner()], starts_at=now, duration_days=days)
    await service.launch(ts_env.client, settings.task_queue, cohort)
    return cohort


async def completed(handle: WorkflowHandle) -> None:
    """Poll in real time: once nothing is left to wait for, the test server's sleep cannot skip."""

    async def done() -> bool:
        status = (await handle.describe()).status
        assert status == WorkflowExecutionStatus.COMPLETED, status
        return True

    await eventually(done, what=f"{handle.id} completes")


async def cohort_row(sessions: SessionFactory, cohort_id: str) -> Cohort:
    async with transaction(sessions) as session:
        row = await session.scalar(select(Cohort).where(Cohort.id == cohort_id))
        assert row is not None
        return row


class TestPauseResume:
    async def test_no_reminders_while_paused_and_one_reminder_on_resume(
        self, ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
    ) -> None:
        settings = settings_for(sqlite_sessions)
        async with running_worker(ts_env.client, settings, sqlite_sessions):
            cohort = await launch(ts_env, sqlite_sessions, settings)
            [pid] = await partner_ids(sqlite_sessions, cohort.id)
            jid, window = journey_id(cohort.id, pid), ts_env.client.get_workflow_handle(window_id(cohort.id))
            await ts_env.sleep(timedelta(hours=2))
            before = await ts_env.client.get_workflow_handle(jid).query(PartnerJourneyWorkflow.progress)
            await window.signal(ActivationWindowWorkflow.change, WindowChange(key="p1", paused=True))
            await window.signal(ActivationWindowWorkflow.change, WindowChange(key="p1", paused=True))  # retried call
            await ts_env.sleep(timedelta(days=6))
            paused = await ts_env.client.get_workflow_handle(jid).query(PartnerJourneyWorkflow.progress)
            sent_while_paused = len(await emails(sqlite_sessions, jid))
            assert (await cohort_row(sqlite_sessions, cohort.id)).status == "paused"
            await window.signal(ActivationWindowWorkflow.change, WindowChange(key="r1", paused=False))
            await ts_env.sleep(timedelta(hours=1))
            resumed = await ts_env.client.get_workflow_handle(jid).query(PartnerJourneyWorkflow.progress)
        assert paused.status == "paused" and sent_while_paused == 1  # only the invite
        kinds = [m.kind for m in await emails(sqlite_sessions, jid)]
        assert kinds == ["step_invite", "step_reminder"]  # what fell due fires once, not as a burst
        assert before.open_step and resumed.open_step
        shift = resumed.open_step.due_at - before.open_step.due_at
        assert timedelta(days=5, hours=23) < shift < timedelta(days=6, hours=2)  # deadline moved by the pause
        timeline = [e.kind for e in await events(sqlite_sessions, jid)]
        assert timeline.count("journey_paused") == 1 and timeline.count("journey_resumed") == 1


class TestExtendAndClose:
    async def test_extend_keeps_journeys_running_past_the_old_end_then_close_exits_them(
        self, ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
    ) -> None:
        settings = settings_for(sqlite_sessions)
        async with running_worker(ts_env.client, settings, sqlite_sessions):
            cohort = await launch(ts_env, sqlite_sessions, settings, days=2)
            [pid] = await partner_ids(sqlite_sessions, cohort.id)
            jid, window = journey_id(cohort.id, pid), ts_env.client.get_workflow_handle(window_id(cohort.id))
            await ts_env.sleep(timedelta(hours=1))
            new_end = cohort.ends_at + timedelta(days=10)
            await window.signal(ActivationWindowWorkflow.change, WindowChange(key="e1", ends_at=new_end))
            await ts_env.sleep(timedelta(days=3))
            running = await ts_env.client.get_workflow_handle(jid).query(PartnerJourneyWorkflow.progress)
            assert (await cohort_row(sqlite_sessions, cohort.id)).ends_at == new_end
            close = WindowChange(key="c1", exit_reason="the program manager closed the window early", status="closed")
            await window.signal(ActivationWindowWorkflow.change, close)
            await completed(window)
            journey = ts_env.client.get_workflow_handle(jid)
            await completed(journey)
            final = await journey.query(PartnerJourneyWorkflow.progress)
        assert running.status not in ("exited", "completed")
        assert final.status == "exited"
        exited = next(e for e in await events(sqlite_sessions, jid) if e.kind == "journey_exited")
        assert exited.data["reason"] == "the program manager closed the window early"
        assert (await cohort_row(sqlite_sessions, cohort.id)).status == "closed"

    async def test_cancel_marks_the_cohort_cancelled(
        self, ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
    ) -> None:
        settings = settings_for(sqlite_sessions)
        async with running_worker(ts_env.client, settings, sqlite_sessions):
            cohort = await launch(ts_env, sqlite_sessions, settings)
            window = ts_env.client.get_workflow_handle(window_id(cohort.id))
            await ts_env.sleep(timedelta(hours=1))
            cancel = WindowChange(key="x1", exit_reason="the window was cancelled", status="cancelled")
            await window.signal(ActivationWindowWorkflow.change, cancel)
            await completed(window)
        assert (await cohort_row(sqlite_sessions, cohort.id)).status == "cancelled"


class TestMembership:
    async def test_add_and_remove_partners_mid_window(
        self, ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
    ) -> None:
        settings = settings_for(sqlite_sessions)
        async with running_worker(ts_env.client, settings, sqlite_sessions):
            cohort = await launch(ts_env, sqlite_sessions, settings, partner("Alpha"))
            [alpha] = await partner_ids(sqlite_sessions, cohort.id)
            window = ts_env.client.get_workflow_handle(window_id(cohort.id))
            await ts_env.sleep(timedelta(hours=1))
            late = await create_cohort(sqlite_sessions, [partner("Beta")])  # a partner row to add
            [beta] = await partner_ids(sqlite_sessions, late.id)
            async with transaction(sqlite_sessions) as session:
                session.add(CohortMember(cohort_id=cohort.id, partner_id=beta))
            await window.signal(ActivationWindowWorkflow.add_partners, PartnersChange(key="a1", partner_ids=[beta]))
            await window.signal(ActivationWindowWorkflow.add_partners, PartnersChange(key="a1", partner_ids=[beta]))
            await ts_env.sleep(timedelta(hours=1))
            beta_handle = ts_env.client.get_workflow_handle(journey_id(cohort.id, beta))
            assert (await beta_handle.describe()).status == WorkflowExecutionStatus.RUNNING
            await window.signal(ActivationWindowWorkflow.remove_partners, PartnersChange(key="r1", partner_ids=[alpha]))
            await ts_env.sleep(timedelta(hours=1))
            alpha_now = await ts_env.client.get_workflow_handle(journey_id(cohort.id, alpha)).query(
                PartnerJourneyWorkflow.progress
            )
            assert await window.query(ActivationWindowWorkflow.partners_assigned) == 2
        assert alpha_now.status == "exited"
        exited = next(
            e for e in await events(sqlite_sessions, journey_id(cohort.id, alpha)) if e.kind == "journey_exited"
        )
        assert exited.data["reason"] == "removed from the cohort by the program manager"
        beta_invites = [
            m for m in await emails(sqlite_sessions, journey_id(cohort.id, beta)) if m.kind == "step_invite"
        ]
        assert len(beta_invites) == 1  # the duplicate add signal started nothing twice
