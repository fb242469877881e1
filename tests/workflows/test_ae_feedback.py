"""AeFeedbackWorkflow on the time-skipping server with the real activities and database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from api.feedback.start import request_feedback
from db.cosell_models import DealAttribution
from db.session import SessionFactory, transaction
from tests.factories import create_cohort, partner, settings_for
from tests.waiting import eventually
from tests.workflows.feedback_helpers import (
    ANSWERS,
    add_ae,
    add_deal,
    feedback_emails,
    feedback_row,
    partner_row,
    timeline,
)
from tests.workflows.helpers import partner_ids, running_worker, start_journey
from workflows.ae_feedback.messages import FeedbackAnswers, FeedbackState, feedback_workflow_id
from workflows.ae_feedback.workflow import AeFeedbackWorkflow
from workflows.journey.messages import journey_id
from workflows.journey.workflow import PartnerJourneyWorkflow


async def to_next_thursday_10am(ts_env: WorkflowEnvironment) -> datetime:
    """Move the test clock to a Thursday 10:00 UTC, so the 2-business-day reminder falls after a weekend."""
    now = await ts_env.get_current_time()
    days = (3 - now.weekday()) % 7 or 7
    target = datetime.combine((now + timedelta(days=days)).date(), datetime.min.time(), UTC) + timedelta(hours=10)
    await ts_env.sleep(target - now)
    return (await ts_env.get_current_time()).replace(second=0, microsecond=0)


async def closed_deal(ts_env: WorkflowEnvironment, sessions: SessionFactory, stage: str = "closed_won") -> tuple:
    now = await ts_env.get_current_time()
    cohort = await create_cohort(sessions, [partner("Fabrikam Cloud Partners", "SI")], starts_at=now)
    [pid] = await partner_ids(sessions, cohort.id)
    ae = await add_ae(sessions)
    deal = await add_deal(sessions, cohort.id, pid, ae, stage=stage, registered_at=now)
    return cohort, pid, ae, deal


def minutes(moments: list[datetime]) -> list[datetime]:
    return [m.replace(second=0, microsecond=0) for m in moments]


async def state(handle: WorkflowHandle) -> FeedbackState:
    return await handle.query(AeFeedbackWorkflow.state)


async def wait_closed(handle: WorkflowHandle) -> None:
    async def closed() -> WorkflowExecutionStatus | None:
        status = (await handle.describe()).status
        assert status != WorkflowExecutionStatus.RUNNING, status
        return status

    await eventually(closed, what=f"{handle.id} closed")


class TestCadence:
    async def test_request_on_close_reminders_on_business_days_then_expiry(
        self, ts_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        settings = settings_for(sessions)
        async with running_worker(ts_env.client, settings, sessions):
            thursday = await to_next_thursday_10am(ts_env)
            _, pid, ae, deal = await closed_deal(ts_env, sessions)
            assert await request_feedback(ts_env.client, settings, deal, ae, pid) is True
            handle = ts_env.client.get_workflow_handle(feedback_workflow_id(deal, ae))

            async def sent() -> list:
                return [m for m in await feedback_emails(sessions, deal) if m.status == "sent"]

            [request] = await eventually(sent, what="the feedback request sent")
            assert request.kind == "feedback_request" and request.to_email == "jordan.reyes@vendor.example"
            assert request.status == "sent" and "/ae/feedback/" in request.text
            assert "Fabrikam Cloud Partners" in request.subject and "Contoso Health" in request.subject
            row = await feedback_row(sessions, deal, ae)
            assert row is not None and row.status == "requested"
            assert row.expires_at - row.requested_at == timedelta(days=14)

            # Saturday and Sunday do not count: the first reminder is Monday, not Saturday.
            await ts_env.sleep(thursday + timedelta(days=4, minutes=-5) - await ts_env.get_current_time())
            assert (await state(handle)).reminders_sent == []
            await ts_env.sleep(timedelta(minutes=10))
            first = minutes((await state(handle)).reminders_sent)
            assert first == [thursday + timedelta(days=4)] and first[0].weekday() == 0

            # Five business days after Thursday is the next Thursday.
            await ts_env.sleep(thursday + timedelta(days=7, minutes=5) - await ts_env.get_current_time())
            reminders = minutes((await state(handle)).reminders_sent)
            assert reminders == [thursday + timedelta(days=4), thursday + timedelta(days=7)]

            await ts_env.sleep(thursday + timedelta(days=14, minutes=5) - await ts_env.get_current_time())
            await wait_closed(handle)
            final = await handle.query(AeFeedbackWorkflow.state)
            assert final.status == "expired"
            with pytest.raises((WorkflowUpdateFailedError, RPCError)):
                await handle.execute_update(AeFeedbackWorkflow.submit, FeedbackAnswers(**ANSWERS))
        row = await feedback_row(sessions, deal, ae)
        assert row is not None and row.status == "expired" and row.reminders_sent == 2 and row.submitted_at is None
        keys = [m.dedupe_key.split("/", 3)[3] for m in await feedback_emails(sessions, deal)]
        assert keys == ["reminder/1", "reminder/2", "request"]

    async def test_an_answer_after_the_first_reminder_stops_reminders_and_can_be_revised(
        self, ts_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        settings = settings_for(sessions)
        async with running_worker(ts_env.client, settings, sessions):
            thursday = await to_next_thursday_10am(ts_env)
            _, pid, ae, deal = await closed_deal(ts_env, sessions)
            await request_feedback(ts_env.client, settings, deal, ae, pid)
            handle = ts_env.client.get_workflow_handle(feedback_workflow_id(deal, ae))
            await ts_env.sleep(thursday + timedelta(days=4, hours=1) - await ts_env.get_current_time())
            assert len((await state(handle)).reminders_sent) == 1

            receipt = await handle.execute_update(AeFeedbackWorkflow.submit, FeedbackAnswers(**ANSWERS))
            assert receipt.revision == 1 and receipt.trust_score is not None

            await ts_env.sleep(timedelta(days=5))
            assert len((await state(handle)).reminders_sent) == 1  # no reminder after an answer
            revised = {**ANSWERS, "contribution": "influenced", "role_clarity": 3, "comment": "On reflection: helped."}
            second = await handle.execute_update(AeFeedbackWorkflow.submit, FeedbackAnswers(**revised))
            assert second.revision == 2 and second.trust_score is not None
            assert second.trust_score < receipt.trust_score  # influenced and unclear roles count for less

            with pytest.raises(WorkflowUpdateFailedError) as err:
                await handle.execute_update(
                    AeFeedbackWorkflow.submit, FeedbackAnswers(**{**ANSWERS, "role_clarity": 9, "contribution": "x"})
                )
            assert isinstance(err.value.cause, ApplicationError) and err.value.cause.type == "InvalidAnswers"
            assert set(err.value.cause.details[0]) == {"role_clarity", "contribution"}

            await ts_env.sleep(thursday + timedelta(days=14, minutes=5) - await ts_env.get_current_time())
            await wait_closed(handle)
        row = await feedback_row(sessions, deal, ae)
        assert row is not None
        assert (row.status, row.revisions, row.contribution, row.role_clarity) == ("submitted", 2, "influenced", 3)
        assert row.reminders_sent == 1 and row.comment == "On reflection: helped."
        assert [m.kind for m in await feedback_emails(sessions, deal)] == [
            "feedback_reminder",
            "feedback_request",
        ]
        async with transaction(sessions) as session:
            said = list(await session.scalars(select(DealAttribution).where(DealAttribution.deal_id == deal)))
        assert [(a.attribution, a.said_by, a.actor) for a in said] == [
            ("influenced", "ae", "jordan.reyes@vendor.example")
        ]
        stored = await partner_row(sessions, pid)
        assert stored.trust_score == second.trust_score
        assert [s["source"] for s in stored.trust_signals] == ["baseline", "ae_feedback"]


class TestStarting:
    async def test_a_second_close_event_does_not_ask_again(
        self, ts_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        settings = settings_for(sessions)
        async with running_worker(ts_env.client, settings, sessions):
            _, pid, ae, deal = await closed_deal(ts_env, sessions)
            assert await request_feedback(ts_env.client, settings, deal, ae, pid) is True
            handle = ts_env.client.get_workflow_handle(feedback_workflow_id(deal, ae))
            first_run = (await handle.describe()).run_id
            assert await request_feedback(ts_env.client, settings, deal, ae, pid) is False

            async def requested() -> list:
                return await feedback_emails(sessions, deal)

            await eventually(requested, what="the feedback request queued")
            assert await request_feedback(ts_env.client, settings, deal, ae, pid) is False
            assert (await handle.describe()).run_id == first_run  # one request, never a second run
        assert [m.kind for m in await feedback_emails(sessions, deal)] == ["feedback_request"]

    async def test_a_deal_that_is_not_closed_is_not_asked_about(
        self, ts_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        settings = settings_for(sessions)
        async with running_worker(ts_env.client, settings, sessions):
            _, pid, ae, deal = await closed_deal(ts_env, sessions, stage="open")
            await request_feedback(ts_env.client, settings, deal, ae, pid)
            handle = ts_env.client.get_workflow_handle(feedback_workflow_id(deal, ae))
            await wait_closed(handle)
            result = await handle.query(AeFeedbackWorkflow.state)
        assert result.status == "not_asked" and "open, not closed" in result.reason
        assert await feedback_emails(sessions, deal) == []
        assert await feedback_row(sessions, deal, ae) is None


class TestJourneyHearsFeedback:
    async def test_feedback_while_the_journey_runs_moves_its_trust(
        self, ts_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        settings = settings_for(sessions)
        async with running_worker(ts_env.client, settings, sessions):
            cohort, pid, ae, deal = await closed_deal(ts_env, sessions)
            journey = await start_journey(ts_env.client, settings, cohort, pid)
            jid = journey_id(cohort.id, pid)

            async def invited() -> bool:
                return any(e.kind == "step_invited" for e in await timeline(sessions, jid))

            await eventually(invited, what="the first step invited")
            await request_feedback(ts_env.client, settings, deal, ae, pid)
            handle = ts_env.client.get_workflow_handle(feedback_workflow_id(deal, ae))
            await eventually(lambda: feedback_emails(sessions, deal), what="the feedback request queued")
            receipt = await handle.execute_update(AeFeedbackWorkflow.submit, FeedbackAnswers(**ANSWERS))
            assert receipt.running_journeys == [jid]

            async def heard() -> bool:
                progress = await journey.query(PartnerJourneyWorkflow.progress)
                assert (progress.feedback_received, progress.trust_score) == (1, receipt.trust_score), progress
                return True

            await eventually(heard, what="the journey heard the feedback signal")

            # The journey writes `trust_updated` with an activity after its signal handler ran: wait for it.
            async def projected() -> list[str]:
                kinds = [e.kind for e in await timeline(sessions, jid)]
                assert "ae_feedback_received" in kinds and "trust_updated" in kinds, kinds
                return kinds

            await eventually(projected, what="the feedback and trust events on the journey's timeline")
            received = next(e for e in await timeline(sessions, jid) if e.kind == "ae_feedback_received")
            assert received.data["invite_again"] is True and received.data["trust_score"] == receipt.trust_score
            trust_event = next(e for e in await timeline(sessions, jid) if e.kind == "trust_updated")
            assert trust_event.data == {"trust_score": receipt.trust_score, "feedback_received": 1}

    async def test_feedback_after_the_journey_ended_is_recorded_without_error(
        self, ts_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        settings = settings_for(sessions)
        async with running_worker(ts_env.client, settings, sessions):
            cohort, pid, ae, deal = await closed_deal(ts_env, sessions)
            journey = await start_journey(ts_env.client, settings, cohort, pid)
            jid = journey_id(cohort.id, pid)

            async def invited() -> bool:
                return any(e.kind == "step_invited" for e in await timeline(sessions, jid))

            await eventually(invited, what="the first step invited")
            # Ended without a final projection: the read model still calls it running, so the signal fails.
            await journey.terminate("window closed by an operator")
            await request_feedback(ts_env.client, settings, deal, ae, pid)
            handle = ts_env.client.get_workflow_handle(feedback_workflow_id(deal, ae))
            await eventually(lambda: feedback_emails(sessions, deal), what="the feedback request queued")
            receipt = await handle.execute_update(AeFeedbackWorkflow.submit, FeedbackAnswers(**ANSWERS))
            assert receipt.running_journeys == [jid] and receipt.trust_score is not None
            assert (await state(handle)).status == "answered"
        kinds = [e.kind for e in await timeline(sessions, jid)]
        assert "ae_feedback_received" in kinds and "trust_updated" not in kinds
        assert (await partner_row(sessions, pid)).trust_score == receipt.trust_score
