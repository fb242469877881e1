"""The steps a partner works: one at a time (the play's order), or all of a parallel play at once, each
with its own due date and reminders, the play complete when all (or `complete_when`) are done.

A mixin of PartnerJourneyWorkflow, split out so the interpreter (workflow.py) stays one readable page.
Journeys begun before parallel plays opened a parallel play's steps one after the other (patch
"parallel-plays"); their playbooks had none, so the marker only records which code opened one.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from temporalio import workflow

from workflows.journey.effects import OpenStep
from workflows.journey.waits import JourneyWaits
from workflows.waiting import until_or

with workflow.unsafe.imports_passed_through():
    from domain.schedule import due_at, reminder_at
    from playbooks.model import Play, Playbook, Step

PARALLEL = "parallel-plays"


class StepRunning(JourneyWaits):
    _opens: dict[str, OpenStep]
    _closed: set[str]
    _last_progress_at: datetime
    _stalled: bool

    def _natural_due(self, step: Step) -> tuple[datetime, frozenset]:
        assert self._ctx
        if workflow.patched("business-day-due"):
            days_off = frozenset(self._ctx.partner.holidays)
            return due_at(workflow.now(), step.due_days, self._ctx.partner.timezone, days_off), days_off
        # journeys started before: due on whatever day the calendar gave, reminders skip weekends only
        return workflow.now() + timedelta(days=step.due_days), frozenset()

    async def _run_step(self, playbook: Playbook, play: Play, step: Step) -> None:
        now = workflow.now()
        natural_due, days_off = self._natural_due(step)
        self._open = current = OpenStep(self._stage, play, step, natural_due)
        self._status = "waiting"
        await self._work_step(playbook, current, now, days_off)
        self._open = None
        self._status = "active"

    async def _work_step(self, playbook: Playbook, current: OpenStep, now: datetime, days_off: frozenset) -> None:
        """Invite, remind on the cadence, and at the due date mark the step overdue unless it was done."""
        assert self._ctx
        step, tz, quiet = current.step, self._ctx.partner.timezone, playbook.quiet_hours
        await self._notify(current, "invite", 0)
        cadence = step.reminders or playbook.reminders
        next_reminder = reminder_at(now, cadence.every_business_days, tz, quiet.start, quiet.end, days_off)
        while not (current.done or current.submitting or current.closed or self._exit_reason):
            await self._hold_while_paused(current)
            now, due = workflow.now(), self._due(current)
            if now >= due or current.submitting or current.closed or self._exit_reason:
                break
            remind = current.reminders_sent < cadence.max_reminders and next_reminder < due
            self._changed = False
            await until_or(
                lambda: current.done or current.submitting or current.closed or self._paused or self._changed,
                next_reminder if remind else due,
                f"{step.key} reminder or deadline",
            )
            now = workflow.now()
            if remind and next_reminder <= now < self._due(current) and not (current.submitting or self._paused):
                if current.closed:
                    continue
                current.reminders_sent += 1
                await self._notify(current, "reminder", current.reminders_sent)
                next_reminder = reminder_at(now, cadence.every_business_days, tz, quiet.start, quiet.end, days_off)
        if current.submitting:
            await workflow.wait_condition(lambda: current.done)
        elif current.closed:
            done, of = sum(1 for s in current.siblings if s.done), len(current.siblings) + 1
            data = {"reason": "the play is complete without it", "branch": f"closed: the play had {done} of {of}"}
            await self._project("step_skipped", step_key=step.key, data=data)
            self._skipped.append(step.key)
            self._closed.add(step.key)
        elif not self._exit_reason or workflow.now() >= self._due(current):
            await self._mark_overdue(current, playbook)

    async def _mark_overdue(self, current: OpenStep, playbook: Playbook) -> None:
        self._overdue.append(current.step.key)
        idle = workflow.now() - self._last_progress_at
        stalled = idle >= timedelta(days=playbook.stall_threshold_days)
        self._status = "stalled" if stalled else "overdue"
        data = {"due_at": self._due(current).isoformat(), "stalled": stalled}
        await self._project("step_overdue", step_key=current.step.key, data=data)
        if stalled and not self._stalled:
            self._stalled = True
            days = idle // timedelta(days=1)
            await self._notify_pm("escalated", f"no step completed for {days} days; '{current.step.title}' is overdue")

    async def _run_parallel(self, playbook: Playbook, play: Play, steps: list[Step]) -> None:
        """Open every step at once; each is invited, reminded and falls due on its own."""
        now, opened = workflow.now(), []
        for step in steps:
            natural_due, days_off = self._natural_due(step)
            opened.append((OpenStep(self._stage, play, step, natural_due), days_off))
        for current, _ in opened:
            current.siblings = [other for other, _ in opened if other is not current]
            self._opens[current.step.key] = current
        self._status = "waiting"
        await asyncio.gather(*(self._work_parallel(playbook, current, now, days_off) for current, days_off in opened))
        self._status = "active"

    async def _work_parallel(self, playbook: Playbook, current: OpenStep, now: datetime, days_off: frozenset) -> None:
        await self._work_step(playbook, current, now, days_off)
        del self._opens[current.step.key]  # done, overdue or closed: no longer open
        if self._opens:
            self._status = "waiting"

    def _settle_play(self, current: OpenStep) -> None:
        """After a parallel step is done: once the play has the steps it needs, close the others."""
        need = current.play.complete_when or len(current.play.steps)
        group = [current, *current.siblings]
        if current.siblings and sum(1 for s in group if s.done) >= need:
            for other in current.siblings:
                if not (other.done or other.submitting):
                    other.closed = True

    def _parallel_at(self, pending: list[tuple[Play, Step]], index: int) -> list[Step]:
        """The steps of the parallel play that begins at `index` (one step: the play runs in order)."""
        play = pending[index][0]
        if not play.parallel or not workflow.patched(PARALLEL):
            return [pending[index][1]]
        return [s for p, s in pending[index:] if p.key == play.key]
