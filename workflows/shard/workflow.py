"""CohortShardWorkflow: owns at most SHARD_SIZE journeys; starts them and relays window changes.

Temporal allows 2,000 pending children per workflow, so a 40,000-partner window fans out through
shards. Journeys are abandoned children: they outlive a shard's continue-as-new and report to the
read model themselves, never back through this history.
"""

from __future__ import annotations

import asyncio
import contextlib

from temporalio import workflow
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from workflows.journey.messages import JourneyCarry, JourneyInput, journey_id
    from workflows.journey.workflow import PartnerJourneyWorkflow
    from workflows.shard.messages import ShardInput
    from workflows.window.messages import PartnersChange, WindowChange

CHUNK = 100  # concurrent starts/signals per batch: measured 5x faster than one at a time


@workflow.defn
class CohortShardWorkflow:
    def __init__(self) -> None:
        self._inp: ShardInput | None = None
        self._queue: list[WindowChange | PartnersChange] = []
        self._finished = False

    @workflow.run
    async def run(self, inp: ShardInput) -> int:
        self._inp = inp
        if not inp.started:
            await self._start(inp.partners)
        while True:
            await workflow.wait_condition(lambda: bool(self._queue) or self._finished)
            while self._queue:
                await self._apply(self._queue.pop(0))
            if self._finished:
                return len(inp.partners)
            if workflow.info().is_continue_as_new_suggested():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(inp.model_copy(update={"started": True}))

    @workflow.signal
    def relay(self, change: WindowChange) -> None:
        self._queue.append(change)

    @workflow.signal
    def add(self, change: PartnersChange) -> None:
        self._queue.append(change)

    @workflow.signal
    def finish(self) -> None:
        self._finished = True

    async def _apply(self, item: WindowChange | PartnersChange) -> None:
        assert self._inp
        if isinstance(item, PartnersChange):
            new = [p for p in item.partner_ids if p not in self._inp.partners]
            self._inp.partners.extend(new)
            await self._start(new)
            return
        if item.ends_at is not None:
            self._inp.window_ends_at = item.ends_at
        if item.paused is not None:
            self._inp.paused = item.paused
        for i in range(0, len(self._inp.partners), CHUNK):
            chunk = self._inp.partners[i : i + CHUNK]
            # Journeys that already finished cannot take a signal; that is fine and expected.
            await asyncio.gather(
                *(self._signal(partner, item) for partner in chunk),
                return_exceptions=True,
            )

    async def _signal(self, partner_id: str, change: WindowChange) -> None:
        assert self._inp
        handle = workflow.get_external_workflow_handle(journey_id(self._inp.cohort_id, partner_id))
        await handle.signal(PartnerJourneyWorkflow.window_changed, change)

    async def _start(self, partners: list[str]) -> None:
        for i in range(0, len(partners), CHUNK):
            await asyncio.gather(*(self._start_one(p) for p in partners[i : i + CHUNK]))

    async def _start_one(self, partner_id: str) -> None:
        assert self._inp
        inp = self._inp
        with contextlib.suppress(WorkflowAlreadyStartedError):  # re-added or retried: it already runs
            await workflow.start_child_workflow(
                PartnerJourneyWorkflow.run,
                JourneyInput(
                    cohort_id=inp.cohort_id,
                    partner_id=partner_id,
                    playbook=inp.playbook,
                    window_ends_at=inp.window_ends_at,
                    carry=JourneyCarry(stage_index=0, paused=inp.paused) if inp.paused else None,
                ),
                id=journey_id(inp.cohort_id, partner_id),
                parent_close_policy=ParentClosePolicy.ABANDON,
            )
