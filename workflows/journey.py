"""PartnerJourneyWorkflow: a deterministic interpreter of one partner's pinned playbook snapshot."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.schedule import reminder_at
    from playbooks.forms import clean_answers
    from playbooks.model import Play, Playbook, Step
    from playbooks.plan import readiness, stage_steps
    from workflows.policies import DB_TIMEOUT, DB_WRITE, EMAIL_SEND, EMAIL_TIMEOUT
    from workflows.types import (
        JourneyCarry,
        JourneyContext,
        JourneyInput,
        JourneyProgress,
        JourneyStatus,
        JourneyUpdate,
        LoadContext,
        NextStep,
        OpenStepView,
        StepNotice,
        StepReceipt,
        StepSubmission,
        journey_id,
    )


class _OpenStep:
    def __init__(self, stage: str, play: Play, step: Step, due_at: datetime):
        self.stage, self.play, self.step, self.due_at = stage, play, step, due_at
        self.reminders_sent = 0
        self.submitting = False
        self.done = False


@workflow.defn
class PartnerJourneyWorkflow:
    def __init__(self) -> None:
        self._inp: JourneyInput | None = None
        self._ctx: JourneyContext | None = None
        self._stage = ""
        self._status: JourneyStatus = "active"
        self._open: _OpenStep | None = None
        self._completed: list[str] = []
        self._overdue: list[str] = []
        self._upcoming: list[tuple[Play, Step]] = []

    @workflow.run
    async def run(self, inp: JourneyInput) -> JourneyProgress:
        self._inp = inp
        carry = inp.carry or JourneyCarry(stage_index=0)
        self._completed, self._overdue = list(carry.completed), list(carry.overdue)
        self._ctx = await workflow.execute_activity(
            "load_journey_context",
            LoadContext(cohort_id=inp.cohort_id, partner_id=inp.partner_id, playbook=inp.playbook),
            result_type=JourneyContext,
            start_to_close_timeout=DB_TIMEOUT,
            retry_policy=DB_WRITE,
        )
        playbook, partner = self._ctx.playbook, self._ctx.partner
        stage = playbook.stages[carry.stage_index]
        self._stage = stage.key.value
        steps = [
            (play, step)
            for play, step in stage_steps(stage, partner.type, partner.verticals, partner.tier)
            if step.key not in self._completed and step.key not in self._overdue
        ]
        await self._project("stage_entered", data={"title": stage.title, "steps": [s.key for _, s in steps]})
        for index, (play, step) in enumerate(steps):
            self._upcoming = steps[index + 1 :]
            if workflow.now() >= inp.window_ends_at:
                return await self._finish("exited", "journey_exited", {"reason": "the activation window ended"})
            await self._run_step(playbook, play, step)
        self._upcoming = []
        if carry.stage_index + 1 < len(playbook.stages):
            await workflow.wait_condition(workflow.all_handlers_finished)
            # A new run per stage keeps every history small and is the upgrade point for new code.
            workflow.continue_as_new(
                inp.model_copy(
                    update={
                        "carry": JourneyCarry(
                            stage_index=carry.stage_index + 1, completed=self._completed, overdue=self._overdue
                        )
                    }
                )
            )
        return await self._finish("completed", "journey_completed", {})

    async def _run_step(self, playbook: Playbook, play: Play, step: Step) -> None:
        assert self._inp and self._ctx
        now = workflow.now()
        due_at = min(now + timedelta(days=step.due_days), self._inp.window_ends_at)
        self._open = current = _OpenStep(self._stage, play, step, due_at)
        self._status = "waiting"
        await self._notify(current, "invite", 0)
        cadence = step.reminders or playbook.reminders
        tz, quiet = self._ctx.partner.timezone, playbook.quiet_hours
        next_reminder = reminder_at(now, cadence.every_business_days, tz, quiet.start, quiet.end)
        while not (current.done or current.submitting):
            now = workflow.now()
            if now >= due_at:
                break
            wake = (
                next_reminder if current.reminders_sent < cadence.max_reminders and next_reminder < due_at else due_at
            )
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(
                    lambda: current.done or current.submitting,
                    timeout=max(wake - now, timedelta(seconds=1)),
                    timeout_summary=f"{step.key} reminder or deadline",
                )
            if current.done or current.submitting:
                break
            now = workflow.now()
            if current.reminders_sent < cadence.max_reminders and next_reminder <= now < due_at:
                current.reminders_sent += 1
                await self._notify(current, "reminder", current.reminders_sent)
                next_reminder = reminder_at(now, cadence.every_business_days, tz, quiet.start, quiet.end)
        if current.submitting:
            await workflow.wait_condition(lambda: current.done)
        else:
            self._overdue.append(step.key)
            self._status = "overdue"
            await self._project("step_overdue", step_key=step.key, data={"due_at": due_at.isoformat()})
        self._open = None
        self._status = "active"

    @workflow.update
    async def complete_step(self, submission: StepSubmission) -> StepReceipt:
        assert self._ctx and self._open
        current = self._open
        current.submitting = True
        answers, _ = clean_answers(current.step, submission.answers)
        self._completed.append(current.step.key)
        nxt = self._upcoming[0][1] if self._upcoming else None
        score, points = readiness(self._ctx.playbook, self._completed)
        await self._project(
            "step_completed",
            step_key=current.step.key,
            data={"answers": answers, "play": current.play.key, "signals": points},
            next_step=nxt,
            next_play=self._upcoming[0][0] if self._upcoming else None,
        )
        current.done = True
        return StepReceipt(
            step_key=current.step.key,
            completed_at=workflow.now(),
            readiness_score=score,
            next_step=NextStep(step_key=nxt.key, title=nxt.title) if nxt else None,
        )

    @complete_step.validator
    def _validate_completion(self, submission: StepSubmission) -> None:
        current = self._open
        if submission.step_key in self._completed:
            raise ApplicationError("this step is already completed", type="AlreadyCompleted")
        if current is None or current.step.key != submission.step_key:
            raise ApplicationError("this step is not open", type="StepNotOpen")
        if current.submitting or current.done:
            raise ApplicationError("this step is already completed", type="AlreadyCompleted")
        if workflow.now() >= current.due_at:
            raise ApplicationError("this step closed at its due date", type="StepClosed")
        _, errors = clean_answers(current.step, submission.answers)
        if errors:
            raise ApplicationError("some answers need attention", errors, type="InvalidAnswers")

    @workflow.query
    def progress(self) -> JourneyProgress:
        current = self._open
        view = None
        if current is not None:
            view = OpenStepView(
                step_key=current.step.key,
                stage=current.stage,
                due_at=current.due_at,
                reminders_sent=current.reminders_sent,
            )
        score = readiness(self._ctx.playbook, self._completed)[0] if self._ctx else 0
        return JourneyProgress(
            stage=self._stage,
            status=self._status,
            open_step=view,
            completed=list(self._completed),
            overdue=list(self._overdue),
            readiness_score=score,
        )

    async def _notify(self, current: _OpenStep, kind: str, n: int) -> None:
        assert self._inp
        notice = StepNotice(
            journey_id=journey_id(self._inp.cohort_id, self._inp.partner_id),
            cohort_id=self._inp.cohort_id,
            partner_id=self._inp.partner_id,
            stage=current.stage,
            play_key=current.play.key,
            step_key=current.step.key,
            kind=kind,  # type: ignore[arg-type]
            n=n,
            due_at=current.due_at,
            occurred_at=workflow.now(),
        )
        await workflow.execute_activity(
            "notify_step", notice, start_to_close_timeout=EMAIL_TIMEOUT, retry_policy=EMAIL_SEND
        )

    async def _project(
        self,
        kind: str,
        *,
        step_key: str | None = None,
        data: dict | None = None,
        next_step: Step | None = None,
        next_play: Play | None = None,
    ) -> None:
        assert self._inp and self._ctx
        current = self._open
        if kind == "step_completed":
            step_now, play_now = (next_step.key, next_play.key) if next_step and next_play else (None, None)
        else:
            step_now = current.step.key if current else None
            play_now = current.play.key if current else None
        update = JourneyUpdate(
            journey_id=journey_id(self._inp.cohort_id, self._inp.partner_id),
            cohort_id=self._inp.cohort_id,
            partner_id=self._inp.partner_id,
            kind=kind,  # type: ignore[arg-type]
            stage=self._stage,
            step_key=step_key,
            status=self._status if kind != "step_completed" else "active",
            occurred_at=workflow.now(),
            readiness_score=readiness(self._ctx.playbook, self._completed)[0],
            current_step=step_now,
            current_play=play_now,
            data=data or {},
        )
        await workflow.execute_activity(
            "project_journey", update, start_to_close_timeout=DB_TIMEOUT, retry_policy=DB_WRITE
        )

    async def _finish(self, status: JourneyStatus, kind: str, data: dict) -> JourneyProgress:
        self._status = status
        await self._project(kind, data=data)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.progress()
