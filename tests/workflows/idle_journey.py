"""A journey that only waits for its window to close: isolates the fan-out under test from the
cost of 2,000 real journeys' activities. Kept import-light for the workflow sandbox."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.journey.messages import JourneyInput, JourneyProgress
    from workflows.window.messages import WindowChange


@workflow.defn(name="PartnerJourneyWorkflow")
class IdleJourney:
    def __init__(self) -> None:
        self._changes: list[str] = []
        self._exit = False

    @workflow.run
    async def run(self, inp: JourneyInput) -> JourneyProgress:
        await workflow.wait_condition(lambda: self._exit)
        return JourneyProgress(stage="", status="exited", open_step=None, completed=[], overdue=[], readiness_score=0)

    @workflow.signal
    def window_changed(self, change: WindowChange) -> None:
        self._changes.append(change.key)
        self._exit = self._exit or bool(change.exit_reason)

    @workflow.query
    def changes(self) -> list[str]:
        return self._changes
