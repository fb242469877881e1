"""What a journey tells the world: timeline and read-model projections, partner and PM emails, and the
completion effects step kinds ask for (playbooks.kinds.CompletionHost).

Split from the interpreter (workflow.py) so that one reads as the playbook's control flow. These
helpers only build activity inputs from the journey's state and call the activities.
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.deal_inputs import RegisterDeal
    from activities.deals import DealActivities
    from activities.intro_inputs import RequestIntros
    from activities.intros import IntroActivities
    from activities.journey_inputs import (
        JourneyContext,
        JourneyEventKind,
        JourneyUpdate,
        PmNotice,
        PmNoticeKind,
        StepNotice,
        StepNoticeKind,
    )
    from activities.journeys import JourneyActivities
    from playbooks.kinds import Answers
    from playbooks.model import Play, Step, WaitEvent
    from playbooks.plan import readiness
    from workflows.journey.messages import JourneyInput, JourneyStatus, journey_id
    from workflows.policies import DB_TIMEOUT, DB_WRITE, EMAIL_HEARTBEAT, EMAIL_SEND, EMAIL_TIMEOUT


# A completion's projection runs as a local activity inside the Update (journeys from before replay it
# as an activity).
LOCAL_COMPLETION = "local-completion-projection"


class OpenStep:
    """A step a partner is working on now (or, `waits_for`, an event the journey waits for)."""

    def __init__(self, stage: str, play: Play, step: Step, natural_due: datetime):
        self.stage, self.play, self.step, self.natural_due = stage, play, step, natural_due
        self.reminders_sent = 0
        self.submitting = False
        self.done = False
        self.closed = False  # a parallel play completed without it (complete_when)
        self.waits_for: WaitEvent | None = None
        self.siblings: list[OpenStep] = []  # the other steps of its parallel play, open at the same time


class JourneyEffects:
    """The journey's state these helpers read; PartnerJourneyWorkflow sets it."""

    _inp: JourneyInput | None
    _ctx: JourneyContext | None
    _stage: str
    _status: JourneyStatus
    _open: OpenStep | None
    _opens: dict[str, OpenStep]  # the steps of a parallel play, open at once
    _completed: list[str]
    _stage_ends: datetime
    _ends_at: datetime

    def _due(self, current: OpenStep) -> datetime:
        return min(current.natural_due, self._stage_ends, self._ends_at)

    def _jid(self) -> str:
        assert self._inp
        return journey_id(self._inp.cohort_id, self._inp.partner_id)

    async def _notify(self, current: OpenStep, kind: StepNoticeKind, n: int) -> None:
        assert self._inp
        notice = StepNotice(
            journey_id=self._jid(),
            cohort_id=self._inp.cohort_id,
            partner_id=self._inp.partner_id,
            stage=current.stage,
            play_key=current.play.key,
            step_key=current.step.key,
            kind=kind,
            n=n,
            due_at=self._due(current),
            occurred_at=workflow.now(),
            playbook=self._inp.playbook,
        )
        await workflow.execute_activity_method(
            JourneyActivities.notify_step,
            notice,
            start_to_close_timeout=EMAIL_TIMEOUT,
            heartbeat_timeout=EMAIL_HEARTBEAT,
            retry_policy=EMAIL_SEND,
        )

    async def _notify_pm(self, kind: PmNoticeKind, reason: str) -> None:
        assert self._inp
        notice = PmNotice(
            journey_id=self._jid(),
            cohort_id=self._inp.cohort_id,
            partner_id=self._inp.partner_id,
            kind=kind,
            stage=self._stage,
            step_key=current.step.key if (current := self._open or next(iter(self._opens.values()), None)) else None,
            reason=reason,
            occurred_at=workflow.now(),
        )
        await workflow.execute_activity_method(
            JourneyActivities.notify_pm,
            notice,
            start_to_close_timeout=EMAIL_TIMEOUT,
            heartbeat_timeout=EMAIL_HEARTBEAT,
            retry_policy=EMAIL_SEND,
        )

    async def _project(
        self,
        kind: JourneyEventKind,
        *,
        step_key: str | None = None,
        data: dict | None = None,
        now_at: tuple[Play, Step] | None = None,
        status: JourneyStatus | None = None,
        registers_deal: bool = False,
        in_update: bool = False,
    ) -> None:
        assert self._inp and self._ctx
        current = self._open or next(iter(self._opens.values()), None)
        if kind == "step_completed":
            play_now, step_now = (now_at[0].key, now_at[1].key) if now_at else (None, None)
        else:
            play_now = current.play.key if current else None
            step_now = current.step.key if current else None
        update = JourneyUpdate(
            journey_id=self._jid(),
            cohort_id=self._inp.cohort_id,
            partner_id=self._inp.partner_id,
            kind=kind,
            stage=self._stage,
            step_key=step_key,
            status=status or self._status,
            occurred_at=workflow.now(),
            readiness_score=readiness(self._ctx.playbook, self._completed)[0],
            current_step=step_now,
            current_play=play_now,
            data=data or {},
            playbook_version=self._inp.playbook.version,
            registers_deal=registers_deal,
        )
        if in_update and self.patched(LOCAL_COMPLETION):
            # The partner's page waits on this Update: a local activity spares it two round trips to the
            # server (schedule, then a second workflow task for the result); the write is the same.
            await workflow.execute_local_activity_method(
                JourneyActivities.project_journey, update, start_to_close_timeout=DB_TIMEOUT, retry_policy=DB_WRITE
            )
            return
        await workflow.execute_activity_method(
            JourneyActivities.project_journey, update, start_to_close_timeout=DB_TIMEOUT, retry_policy=DB_WRITE
        )

    # --- playbooks.kinds.CompletionHost: what a step kind's completion effect may ask for ----------

    def patched(self, patch_id: str) -> bool:
        return workflow.patched(patch_id)

    async def request_intros(self, step_key: str, accounts: list[str], reason: str) -> None:
        assert self._inp
        req = RequestIntros(
            journey_id=self._jid(),
            cohort_id=self._inp.cohort_id,
            partner_id=self._inp.partner_id,
            step_key=step_key,
            accounts=accounts,
            reason=reason,
            requested_at=workflow.now(),
        )
        await workflow.execute_activity_method(
            IntroActivities.request_intros, req, start_to_close_timeout=DB_TIMEOUT, retry_policy=DB_WRITE
        )

    async def register_deal(self, step_key: str, answers: Answers) -> None:
        assert self._inp
        req = RegisterDeal(
            journey_id=self._jid(),
            cohort_id=self._inp.cohort_id,
            partner_id=self._inp.partner_id,
            step_key=step_key,
            answers=answers,
            registered_at=workflow.now(),
        )
        await workflow.execute_activity_method(
            DealActivities.register_deal, req, start_to_close_timeout=DB_TIMEOUT, retry_policy=DB_WRITE
        )
