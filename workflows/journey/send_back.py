"""The PM sends a completed step back: it reopens beside whatever step is open, the partner is emailed a
fresh link with the comment, and the revision replaces the answer (PartnerJourneyWorkflow.complete_step).

Journeys begun before this never took the `send_back` Update, so nothing they replay changes; the
patch marks the runs that did, and guards the one wait on the run's own path (the last stage waits for
revisions still due before the journey completes).
"""

from __future__ import annotations

from collections.abc import Callable

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from workflows.journey.effects import JourneyEffects
from workflows.waiting import until_or

with workflow.unsafe.imports_passed_through():
    from activities.journey_inputs import StepNotice
    from activities.journeys import JourneyActivities
    from domain.schedule import due_at
    from playbooks.experiments import as_assigned
    from playbooks.kinds import kind_of
    from playbooks.plan import readiness
    from workflows.journey.effects import OpenStep
    from workflows.journey.messages import (
        Reopened,
        Revisable,
        SendBack,
        SendBackReceipt,
        StepReceipt,
        StepSubmission,
    )
    from workflows.policies import EMAIL_HEARTBEAT, EMAIL_SEND, EMAIL_TIMEOUT

SEND_BACK = "send-back"
# A step the playbook marks `revisable: true` may be revised by the partner until its due date. Journeys
# begun before ran no playbook with the flag; the marker records which runs kept a step revisable.
SELF_REVISE = "self-revise"


class SendBackHandling(JourneyEffects):
    _reopened: dict[str, Reopened]
    _revisable: dict[str, Revisable]
    _send_backs: dict[str, SendBackReceipt]
    _overdue: list[str]
    _exit_reason: str | None
    _variants: dict[str, str]  # a revision is due in the partner's variant's days (workflows/journey/experiments)

    @workflow.update
    async def send_back(self, req: SendBack) -> SendBackReceipt:
        workflow.patched(SEND_BACK)
        if req.tag in self._send_backs:  # a repeated Update: reopened once, emailed once
            return self._send_backs[req.tag]
        assert self._ctx
        playbook, partner = self._ctx.playbook, self._ctx.partner
        stage, play, step = next((st, pl, sp) for st, pl, sp in playbook.iter_steps() if sp.key == req.step_key)
        step = as_assigned(step, self._variants)
        # A revision gets the step's own time again, on a business day, never past the window's end.
        due = due_at(workflow.now(), step.due_days, partner.timezone, frozenset(partner.holidays))
        n = 1 + sum(1 for r in self._send_backs.values() if r.step_key == req.step_key)
        receipt = SendBackReceipt(step_key=req.step_key, n=n, due_at=min(due, self._ends_at))
        self._send_backs[req.tag] = receipt
        reopened = Reopened(
            step_key=req.step_key,
            stage=stage.key.value,
            play_key=play.key,
            comment=req.comment,
            n=n,
            due_at=receipt.due_at,
        )
        self._reopened[req.step_key] = reopened
        await self._notify_sent_back(reopened)
        return receipt

    @send_back.validator
    def _validate_send_back(self, req: SendBack) -> None:
        if req.tag in self._send_backs:
            return
        if self._exit_reason or self._status in ("completed", "exited"):
            raise ApplicationError("this journey is closed: nothing can be sent back", type="JourneyClosed")
        if req.step_key not in self._completed:
            raise ApplicationError(f"step {req.step_key!r} is not completed: nothing to send back", type="NotCompleted")
        if req.step_key in self._reopened:
            raise ApplicationError(
                f"step {req.step_key!r} was already sent back and waits for the partner's revision",
                type="AlreadySentBack",
            )
        if not req.comment.strip():
            raise ApplicationError("a send-back needs a comment the partner can act on", type="NoComment")

    def _validate_revision(self, submission: StepSubmission) -> None:
        reopened = self._reopened[submission.step_key]
        if workflow.now() >= reopened.due_at or self._exit_reason:
            raise ApplicationError("this step closed at its due date", type="StepClosed")
        self._refuse_invalid_answers(submission)

    def _refuse_invalid_answers(self, submission: StepSubmission) -> None:
        assert self._ctx
        step = self._ctx.playbook.step(submission.step_key)
        _, errors = kind_of(step).clean(step, submission.answers)
        if errors:
            raise ApplicationError("some answers need attention", errors, type="InvalidAnswers")

    async def _revise(self, submission: StepSubmission) -> StepReceipt:
        """The revision replaces the answer; the journey's own step and readiness move on as they were."""
        assert self._ctx
        reopened = self._reopened.pop(submission.step_key)  # a second submission is then "already completed"
        step = self._ctx.playbook.step(submission.step_key)
        answers, _ = kind_of(step).clean(step, submission.answers)
        data = {"answers": answers, "play": reopened.play_key, "revision": reopened.n, "comment": reopened.comment}
        await self._project("step_revised", step_key=step.key, data=data)
        return StepReceipt(
            step_key=step.key,
            completed_at=workflow.now(),
            readiness_score=readiness(self._ctx.playbook, self._completed)[0],
            next_step=None,
        )

    def _keep_revisable(self, current: OpenStep) -> None:
        """A completed step the playbook lets the partner revise stays open to a revision until its due date."""
        if current.step.revisable and workflow.patched(SELF_REVISE):
            key = current.step.key
            self._revisable[key] = Revisable(step_key=key, play_key=current.play.key, due_at=self._due(current))

    def _validate_self_revision(self, submission: StepSubmission) -> None:
        revisable = self._revisable[submission.step_key]
        if workflow.now() >= revisable.due_at or self._exit_reason:
            raise ApplicationError("the due date has passed: this step can no longer be revised", type="RevisionClosed")
        self._refuse_invalid_answers(submission)

    async def _self_revise(self, submission: StepSubmission) -> StepReceipt:
        """The partner's own revision replaces the answer, as a sent-back one's does; nothing else moves."""
        assert self._ctx
        revisable = self._revisable[submission.step_key]
        revisable.n += 1
        step = self._ctx.playbook.step(submission.step_key)
        answers, _ = kind_of(step).clean(step, submission.answers)
        data = {"answers": answers, "play": revisable.play_key, "revision": f"own-{revisable.n}", "by": "partner"}
        await self._project("step_revised", step_key=step.key, data=data)
        return StepReceipt(
            step_key=step.key,
            completed_at=workflow.now(),
            readiness_score=readiness(self._ctx.playbook, self._completed)[0],
            next_step=None,
        )

    async def _notify_sent_back(self, reopened: Reopened) -> None:
        assert self._inp
        notice = StepNotice(
            journey_id=self._jid(),
            cohort_id=self._inp.cohort_id,
            partner_id=self._inp.partner_id,
            stage=reopened.stage,
            play_key=reopened.play_key,
            step_key=reopened.step_key,
            kind="sent_back",
            n=reopened.n,
            due_at=reopened.due_at,
            occurred_at=workflow.now(),
            playbook=self._inp.playbook,
            comment=reopened.comment,
        )
        await workflow.execute_activity_method(
            JourneyActivities.notify_step,
            notice,
            start_to_close_timeout=EMAIL_TIMEOUT,
            heartbeat_timeout=EMAIL_HEARTBEAT,
            retry_policy=EMAIL_SEND,
        )

    def _revisions_changed(self, waiting: set[str]) -> Callable[[], bool]:
        return lambda: set(self._reopened) != waiting or self._exit_reason is not None

    async def _await_revisions(self) -> None:
        """Before the journey completes, a step sent back may still be revised until its due date."""
        while self._reopened and workflow.patched(SEND_BACK) and not self._exit_reason:
            due = min(r.due_at for r in self._reopened.values())
            if workflow.now() >= due:
                self._reopened = {k: r for k, r in self._reopened.items() if r.due_at > workflow.now()}
                continue
            await until_or(self._revisions_changed(set(self._reopened)), due, "revisions")
