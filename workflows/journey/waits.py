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
    from playbooks.model import Play, Step, Wait
    from workflows.journey.messages import PartnerEvent

# Journeys begun before waits existed never meet a wait step; the marker records which code ran one.
WAITS = "wait-for-event"


class JourneyWaits(JourneyEffects):
    _paused: bool
    _changed: bool
    _exit_reason: str | None
    _events: list[PartnerEvent]
    _skipped: list[str]
    _overdue: list[str]
    _upcoming: list[tuple[Play, Step]]

    def _window_over(self) -> bool:
        if self._exit_reason is None and workflow.now() >= self._ends_at:
            self._exit_reason = "the activation window ended"
        return self._exit_reason is not None

    def _heard(self, event: PartnerEvent) -> None:
        if all(e.id != event.id for e in self._events):  # the same fact recorded or delivered twice
            self._events.append(event)
            self._changed = True

    def _happened(self, wait: Wait) -> PartnerEvent | None:
        """The first event this journey heard that ends the wait (heard before the wait opened counts too)."""
        for event in self._events:
            if event.kind == wait.event and (wait.tier is None or (event.tier or 4) <= wait.tier):
                return event
        return None

    async def _hold_while_paused(self, current: OpenStep | None) -> None:
        """Timers stop while paused; deadlines move by the pause so the partner loses no time."""
        if not self._paused or self._exit_reason:
            return
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
        self._status = previous
        await self._project("journey_resumed", data={"paused_days": round(shift / timedelta(days=1), 2)})

    async def _run_wait(self, play: Play, step: Step) -> None:
        """Wait for the step's event until its timeout (or the stage's or window's end), then branch."""
        assert step.wait
        wait = step.wait
        self._open = current = OpenStep(self._stage, play, step, workflow.now() + timedelta(days=wait.timeout_days))
        self._status = "waiting"
        data = {"event": wait.event.value, "until": self._due(current).isoformat(), "play": play.key}
        await self._project("step_waiting", step_key=step.key, data=data)
        while not self._exit_reason and self._happened(wait) is None and workflow.now() < self._due(current):
            await self._hold_while_paused(current)
            self._changed = False
            await until_or(
                lambda: self._happened(wait) is not None or self._paused or self._changed,
                self._due(current),
                f"{step.key} waits for {wait.event.value}",
            )
        event = self._happened(wait)
        if event is not None:
            await self._waited(play, step, event)
        elif not self._exit_reason or workflow.now() >= self._due(current):
            await self._timed_out(step, wait)
        self._open = None
        self._status = "active"

    async def _waited(self, play: Play, step: Step, event: PartnerEvent) -> None:
        self._completed.append(step.key)
        data = {"play": play.key, "event": event.kind.value, "event_id": event.id, "branch": "on_event"}
        data["occurred_at"] = event.occurred_at.isoformat()
        nxt = self._upcoming[0] if self._upcoming else None
        await self._project("step_completed", step_key=step.key, data=data, now_at=nxt, status="active")

    async def _timed_out(self, step: Step, wait: Wait) -> None:
        reason = f"no {wait.event.value.replace('_', ' ')} within {wait.timeout_days} days"
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
