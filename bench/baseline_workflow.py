"""The baseline: start a workflow that runs one no-op activity. Import-light for the sandbox."""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow


@activity.defn
async def noop(value: str) -> str:
    return value


@workflow.defn
class BaselineWorkflow:
    @workflow.run
    async def run(self, value: str) -> str:
        return await workflow.execute_activity(noop, value, start_to_close_timeout=timedelta(seconds=30))


@workflow.defn
class BaselineUpdateWorkflow:
    """The bare Update round trip: a handler that answers at once, nothing recorded, no activity."""

    def __init__(self) -> None:
        self._finished = False

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: self._finished)

    @workflow.update
    async def answer(self, value: str) -> str:
        return value

    @workflow.signal
    def finish(self) -> None:
        self._finished = True
