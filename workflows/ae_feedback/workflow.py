"""AeFeedbackWorkflow: ask one AE, once and politely, how a partner contributed to a closed co-sell deal.

Request email, reminders on business days (unless answered), expiry. The answer arrives as an Update
so the form gets a truthful, synchronous reply; the AE may revise it until the form expires, which is
why the workflow stays open until then.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime

from temporalio import workflow
from temporalio.exceptions import ApplicationError, FailureError

from workflows.waiting import until_or

with workflow.unsafe.imports_passed_through():
    from activities.feedback import FeedbackActivities
    from activities.feedback_inputs import (
        FeedbackClose,
        FeedbackEmail,
        FeedbackEmailKind,
        FeedbackOpen,
        FeedbackPlan,
        FeedbackRecord,
    )
    from domain.schedule import add_business_days, next_allowed
    from domain.trust import feedback_errors
    from workflows.ae_feedback.messages import (
        FeedbackAnswers,
        FeedbackInput,
        FeedbackReceipt,
        FeedbackState,
        FeedbackStatus,
    )
    from workflows.journey.messages import FeedbackNote
    from workflows.journey.workflow import PartnerJourneyWorkflow
    from workflows.policies import DB_TIMEOUT, DB_WRITE, EMAIL_HEARTBEAT, EMAIL_SEND, EMAIL_TIMEOUT

# An AE's working day: reminders never land at night or on a weekend in their zone.
AE_QUIET_START, AE_QUIET_END = "19:00", "08:00"
SUMMARY = "feedback reminder or expiry"


@workflow.defn
class AeFeedbackWorkflow:
    def __init__(self) -> None:
        self._inp: FeedbackInput | None = None
        self._expires_at: datetime | None = None
        self._closed = False
        self._reason = ""
        self._revisions = 0
        self._reminders: list[datetime] = []
        self._lock = asyncio.Lock()  # one answer recorded at a time, in arrival order

    @workflow.run
    async def run(self, inp: FeedbackInput) -> FeedbackState:
        self._inp = inp
        plan: FeedbackPlan = await workflow.execute_activity_method(
            FeedbackActivities.open_feedback,
            FeedbackOpen(
                deal_id=inp.deal_id,
                ae_id=inp.ae_id,
                partner_id=inp.partner_id,
                program_id=inp.program_id,
                requested_at=workflow.now(),
            ),
            start_to_close_timeout=DB_TIMEOUT,
            retry_policy=DB_WRITE,
        )
        if not plan.ask:
            self._closed, self._reason = True, plan.reason
            return self.state()
        self._expires_at = plan.expires_at
        await self._email("request", 0)
        for n, due in enumerate(self._reminder_times(plan), start=1):
            await until_or(lambda: self._revisions > 0, due, SUMMARY)
            if self._revisions > 0:
                break
            self._reminders.append(workflow.now())
            await self._email("reminder", n)
        await until_or(lambda: False, plan.expires_at, SUMMARY)
        self._closed = True  # from here the validator refuses; answers in flight still finish
        await workflow.wait_condition(workflow.all_handlers_finished)
        await workflow.execute_activity_method(
            FeedbackActivities.close_feedback,
            FeedbackClose(deal_id=inp.deal_id, ae_id=inp.ae_id, closed_at=workflow.now()),
            start_to_close_timeout=DB_TIMEOUT,
            retry_policy=DB_WRITE,
        )
        return self.state()

    def _reminder_times(self, plan: FeedbackPlan) -> list[datetime]:
        assert self._inp
        tz = self._inp.timezone
        times = sorted(
            next_allowed(add_business_days(plan.requested_at, days, tz), tz, AE_QUIET_START, AE_QUIET_END)
            for days in set(plan.reminder_days)
            if days > 0
        )
        return [t for t in times if t < plan.expires_at]

    async def _email(self, kind: FeedbackEmailKind, n: int) -> None:
        assert self._inp and self._expires_at
        await workflow.execute_activity_method(
            FeedbackActivities.email_feedback_request,
            FeedbackEmail(
                deal_id=self._inp.deal_id,
                ae_id=self._inp.ae_id,
                kind=kind,
                n=n,
                expires_at=self._expires_at,
                occurred_at=workflow.now(),
            ),
            start_to_close_timeout=EMAIL_TIMEOUT,
            heartbeat_timeout=EMAIL_HEARTBEAT,
            retry_policy=EMAIL_SEND,
        )

    # --- messages -------------------------------------------------------------------------

    @workflow.update
    async def submit(self, answers: FeedbackAnswers) -> FeedbackReceipt:
        assert self._inp
        async with self._lock:
            self._revisions += 1
            receipt: FeedbackReceipt = await workflow.execute_activity_method(
                FeedbackActivities.record_feedback,
                FeedbackRecord(
                    deal_id=self._inp.deal_id,
                    ae_id=self._inp.ae_id,
                    partner_id=self._inp.partner_id,
                    answers=answers,
                    revision=self._revisions,
                    submitted_at=workflow.now(),
                ),
                start_to_close_timeout=DB_TIMEOUT,
                retry_policy=DB_WRITE,
            )
        note = FeedbackNote(
            key=f"{self._inp.deal_id}/{self._inp.ae_id}/{receipt.revision}",
            deal_id=self._inp.deal_id,
            ae_id=self._inp.ae_id,
            trust_score=receipt.trust_score,
            contribution=answers.contribution,
            invite_again=answers.invite_again,
            occurred_at=receipt.submitted_at,
        )
        for journey in receipt.running_journeys:
            # The read model may lag a journey that just ended: its answer is recorded regardless.
            with contextlib.suppress(FailureError):
                await workflow.get_external_workflow_handle(journey).signal(
                    PartnerJourneyWorkflow.ae_feedback_received, note
                )
        return receipt

    @submit.validator
    def _validate(self, answers: FeedbackAnswers) -> None:
        if self._closed or self._expires_at is None:
            raise ApplicationError("this feedback form is closed", type="FeedbackClosed")
        if workflow.now() >= self._expires_at:
            raise ApplicationError("this feedback form expired", type="FeedbackClosed")
        errors = feedback_errors(
            answers.contribution, answers.role_clarity, answers.responsiveness, answers.invite_again, answers.comment
        )
        if errors:
            raise ApplicationError("some answers need attention", errors, type="InvalidAnswers")

    @workflow.query
    def state(self) -> FeedbackState:
        status: FeedbackStatus
        if self._expires_at is None:
            status = "not_asked" if self._closed else "waiting"
        elif self._revisions:
            status = "answered"
        else:
            status = "expired" if self._closed else "waiting"
        return FeedbackState(
            status=status,
            reason=self._reason,
            expires_at=self._expires_at,
            reminders_sent=list(self._reminders),
            revisions=self._revisions,
        )
