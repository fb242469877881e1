"""The journey's waits: for the partner's next move while paused, and for an event recorded elsewhere
(a wait_for_event step), each with its timeout and the playbook's branch for each outcome.

A mixin of PartnerJourneyWorkflow, split out so the interpreter (workflow.py) stays one readable page.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

from workflows.journey.effects import JourneyEffects, OpenStep
from workflows.waiting import until_or

with workflow.unsafe.imports_passed_through():
    from activities.condition_inputs import ConditionCheck
    from activities.conditions import ConditionActivities
    from playbooks.model import Play, Step, Wait, WaitEvent
    from workflows.journey.messages import PartnerEvent
    from workflows.policies import DB_TIMEOUT, DB_WRITE

# Journeys begun before waits existed never meet a wait step; the marker records which code ran one.
WAITS = "wait-for-event"
# Journeys begun before unlocks opened an `unlock:` step at once (their playbooks had none).
UNLOCKS = "overlap-unlock"
HAS_OVERLAP = "overlap.count > 0"


class JourneyWaits(JourneyEffects):
    _paused: bool
    _changed: bool
    _exit_reason: str | None
    _events: list[PartnerEvent]
    _skipped: list[str]
    _overdue: list[str]
    _upcoming: list[tuple[Play, Step]]
    _holding = False  # one of several open (parallel) steps handles a pause for all of them

    def _window_over(self) -> bool:
        if self._exit_reason is None and workflow.now() >= self._ends_at:
            self._exit_reason = "the activation window ended"
        return self._exit_reason is not None

    def _heard(self, event: PartnerEvent) -> None:
        if all(e.id != event.id for e in self._events):  # the same fact recorded or delivered twice
            self._events.append(event)
            self._changed = True

    def _happened(self, wait: Wait, since: int = 0) -> PartnerEvent | None:
        """The first event this journey heard that ends the wait (heard before the wait opened counts too,
        from the `since`-th heard on)."""
        for event in self._events[since:]:
            if event.kind == wait.event and (wait.tier is None or (event.tier or 4) <= wait.tier):
                return event
        return None

    async def _hold_while_paused(self, current: OpenStep | None) -> None:
        """Timers stop while paused; deadlines move by the pause so the partner loses no time."""
        if not self._paused or self._exit_reason:
            return
        if self._holding:  # a parallel sibling holds the journey (and moves the stage's end): move this due only
            paused_at = workflow.now()
            await workflow.wait_condition(lambda: not self._holding)
            if current is not None:
                current.natural_due += workflow.now() - paused_at
            return
        self._holding = True
        paused_at, previous = workflow.now(), self._status
        self._status = "paused"
        await self._project("journey_paused")
        await workflow.wait_condition(
            lambda: not self._paused or self._exit_reason is not None or (current is not None and current.submitting)
        )
        shift = workflow.now() - paused_at
        self._stage_ends += shift
        if current is not None:
            current.natural_due += shift
        self._status, self._holding = previous, False
        await self._project("journey_resumed", data={"paused_days": round(shift / timedelta(days=1), 2)})

    async def _run_wait(self, play: Play, step: Step) -> None:
        """Wait for the step's event until its timeout (or the stage's or window's end), then branch."""
        assert step.wait
        wait = step.wait
        event = await self._await_event(play, step, wait, 0)
        if event is not None:
            await self._waited(play, step, event)
        elif not self._exit_reason or workflow.now() >= self._due(self._waiting_step()):
            await self._timed_out(step, wait)
        self._open = None
        self._status = "active"

    def _waiting_step(self) -> OpenStep:
        assert self._open
        return self._open

    async def _await_event(self, play: Play, step: Step, wait: Wait, since: int) -> PartnerEvent | None:
        """The wait itself: the step is open (waiting) until the event, its timeout, or the journey's end."""
        self._open = current = OpenStep(self._stage, play, step, workflow.now() + timedelta(days=wait.timeout_days))
        current.waits_for = wait.event
        self._status = "waiting"
        data = {"event": wait.event.value, "until": self._due(current).isoformat(), "play": play.key}
        await self._project("step_waiting", step_key=step.key, data=data)
        while not self._exit_reason and self._happened(wait, since) is None and workflow.now() < self._due(current):
            await self._hold_while_paused(current)
            self._changed = False
            await until_or(
                lambda: self._happened(wait, since) is not None or self._paused or self._changed,
                self._due(current),
                f"{step.key} waits for {wait.event.value}",
            )
        return self._happened(wait, since)

    async def _unlocked(self, play: Play, step: Step) -> bool:
        """An `unlock: overlap` step opens now if the partner has overlapping accounts; otherwise the journey
        waits for an upload or vendor import to create some (the overlap_found event), then opens it, or at
        the timeout takes the playbook's branch. The overlap read is an activity: its answer is in history."""
        assert step.unlock and self._inp
        since = len(self._events)  # heard before the read: the read saw it (told only after its commit)
        check = ConditionCheck(
            journey_id=self._jid(), partner_id=self._inp.partner_id, step_key=step.key, expressions=[HAS_OVERLAP]
        )
        outcome = await workflow.execute_activity_method(
            ConditionActivities.evaluate_conditions, check, start_to_close_timeout=DB_TIMEOUT, retry_policy=DB_WRITE
        )
        if outcome.holds:
            return True
        unlock = step.unlock
        wait = Wait(event=WaitEvent.overlap_found, timeout_days=unlock.timeout_days, on_timeout=unlock.on_timeout)
        event = await self._await_event(play, step, wait, since)
        if event is not None:
            data = {"play": play.key, "event_id": event.id, "branch": "unlocked: overlap found"}
            await self._project("step_unlocked", step_key=step.key, data=data)
        elif not self._exit_reason or workflow.now() >= self._due(self._waiting_step()):
            await self._timed_out(step, wait)
        self._open = None
        self._status = "active"
        return event is not None

    async def _waited(self, play: Play, step: Step, event: PartnerEvent) -> None:
        self._completed.append(step.key)
        data = {"play": play.key, "event": event.kind.value, "event_id": event.id, "branch": "on_event"}
        data["occurred_at"] = event.occurred_at.isoformat()
        nxt = self._upcoming[0] if self._upcoming else None
        await self._project("step_completed", step_key=step.key, data=data, now_at=nxt, status="active")

    async def _timed_out(self, step: Step, wait: Wait) -> None:
        what = "overlap found" if wait.event == WaitEvent.overlap_found else wait.event.value.replace("_", " ")
        reason = f"no {what} within {wait.timeout_days} days"
        data = {"reason": reason, "event": wait.event.value, "branch": f"on_timeout: {wait.on_timeout}"}
        if wait.on_timeout == "exit":
            self._skipped.append(step.key)
            await self._project("step_skipped", step_key=step.key, data=data)
            self._exit_reason = reason
        elif wait.on_timeout == "escalate":
            self._overdue.append(step.key)
            await self._project("step_overdue", step_key=step.key, data=data)
            await self._notify_pm("escalated", f"'{step.title}': {reason}")
        else:
            self._skipped.append(step.key)
            await self._project("step_skipped", step_key=step.key, data=data)
