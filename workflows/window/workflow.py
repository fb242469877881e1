"""ActivationWindowWorkflow: one per cohort window. Waits for the window's start (a durable timer; a
reschedule moves it, a cancel ends the window before any partner hears of it), then fans out to shards
of <= SHARD_SIZE journeys, takes the PM's changes (extend, pause, resume, add/remove partners, close, cancel, migrate)
as signals deduplicated by key, and relays them window -> shards -> journeys.

Per-partner traffic never enters this history; progress is read from the read model.
"""

from __future__ import annotations

import contextlib

from temporalio import workflow
from temporalio.workflow import ParentClosePolicy

from workflows.waiting import until_or

with workflow.unsafe.imports_passed_through():
    from activities.journey_inputs import CohortStatus, CohortStatusChange, MembersPage
    from activities.journeys import JourneyActivities
    from workflows.journey.messages import journey_id
    from workflows.journey.workflow import PartnerJourneyWorkflow
    from workflows.policies import DB_TIMEOUT, DB_WRITE
    from workflows.shard.messages import SHARD_SIZE, ShardInput, shard_id
    from workflows.shard.workflow import CohortShardWorkflow
    from workflows.window.messages import PartnersChange, WindowChange, WindowInput


@workflow.defn
class ActivationWindowWorkflow:
    def __init__(self) -> None:
        self._inp: WindowInput | None = None
        self._queue: list[tuple[str, WindowChange | PartnersChange]] = []
        self._seen: set[str] = set()
        self._shard_sizes: list[int] = []
        self._paused = False
        self._closing: WindowChange | None = None

    @workflow.run
    async def run(self, inp: WindowInput) -> int:
        self._inp = inp
        # Histories from before scheduled starts went active at once and must still replay that way.
        if workflow.patched("scheduled-start") and not await self._wait_for_start():
            assert self._closing is not None
            await self._set_status(self._closing.status or "cancelled")
            return 0
        await self._set_status("paused" if self._paused else "active")
        after = ""
        while page := await self._members(after):
            await self._start_shard(page)
            after = page[-1]
        while True:
            await until_or(lambda: bool(self._queue) or self._closing is not None, inp.ends_at, "window end")
            while self._queue:
                await self._apply(*self._queue.pop(0))
            if self._closing is not None or workflow.now() >= inp.ends_at:
                break
        if self._closing is not None:
            await self._broadcast(self._closing)
        for index in range(len(self._shard_sizes)):
            await workflow.get_external_workflow_handle(shard_id(inp.cohort_id, index)).signal(
                CohortShardWorkflow.finish
            )
        await self._set_status(self._closing.status if self._closing and self._closing.status else "closed")
        return sum(self._shard_sizes)

    async def _wait_for_start(self) -> bool:
        """Wait for starts_at, taking reschedules as they come; False when closed or cancelled first."""
        assert self._inp
        inp = self._inp
        if workflow.now() < inp.starts_at:
            await self._set_status("scheduled", scheduled=True)
        while workflow.now() < inp.starts_at and self._closing is None:
            await until_or(lambda: bool(self._queue) or self._closing is not None, inp.starts_at, "window start")
            changed = False
            while self._queue:
                changed = self._before_start(self._queue.pop(0)[1]) or changed
            if changed and self._closing is None:
                await self._set_status("scheduled", scheduled=True)
        return self._closing is None

    def _before_start(self, item: WindowChange | PartnersChange) -> bool:
        """Settle a change while no shard runs yet; True when the schedule itself moved."""
        assert self._inp
        if isinstance(item, PartnersChange):
            return False  # membership is read from the read model at the start, which has this change already
        if item.exit_reason:
            self._closing = item
            return False
        if item.paused is not None:
            self._paused = item.paused
        if item.playbook is not None:
            self._inp.playbook = item.playbook
        if item.starts_at is not None:
            self._inp.starts_at = item.starts_at
        if item.ends_at is not None:
            self._inp.ends_at = item.ends_at
        return item.starts_at is not None or item.ends_at is not None

    @workflow.query
    def starts_at(self) -> str:
        """When the window starts (ISO 8601); moves with a reschedule."""
        assert self._inp
        return self._inp.starts_at.isoformat()

    # --- PM changes ------------------------------------------------------------------------

    @workflow.signal
    def change(self, change: WindowChange) -> None:
        if self._accept(change.key):
            self._queue.append(("change", change))

    @workflow.signal
    def add_partners(self, change: PartnersChange) -> None:
        if self._accept(change.key):
            self._queue.append(("add", change))

    @workflow.signal
    def remove_partners(self, change: PartnersChange) -> None:
        if self._accept(change.key):
            self._queue.append(("remove", change))

    def _accept(self, key: str) -> bool:
        if key in self._seen or self._closing is not None:
            return False
        self._seen.add(key)
        return True

    @workflow.query
    def partners_assigned(self) -> int:
        """Partners handed to shards (each shard then starts its journeys)."""
        return sum(self._shard_sizes)

    async def _apply(self, kind: str, item: WindowChange | PartnersChange) -> None:
        assert self._inp
        if isinstance(item, PartnersChange):
            if kind == "add":
                await self._add(item)
            else:
                for partner in item.partner_ids:
                    exit_change = WindowChange(
                        key=item.key, exit_reason="removed from the cohort by the program manager"
                    )
                    with contextlib.suppress(Exception):  # a finished journey needs no removal
                        await workflow.get_external_workflow_handle(journey_id(self._inp.cohort_id, partner)).signal(
                            PartnerJourneyWorkflow.window_changed, exit_change
                        )
            return
        if item.exit_reason:
            self._closing = item
            return
        if item.ends_at is not None:
            self._inp.ends_at = item.ends_at
        if item.paused is not None:
            self._paused = item.paused
        if item.playbook is not None:
            self._inp.playbook = item.playbook  # partners added from now on start on the new version
        await self._set_status("paused" if self._paused else "active")
        await self._broadcast(item)

    async def _add(self, change: PartnersChange) -> None:
        assert self._inp
        if self._shard_sizes and self._shard_sizes[-1] + len(change.partner_ids) <= SHARD_SIZE:
            self._shard_sizes[-1] += len(change.partner_ids)
            handle = workflow.get_external_workflow_handle(shard_id(self._inp.cohort_id, len(self._shard_sizes) - 1))
            await handle.signal(CohortShardWorkflow.add, change)
            return
        for i in range(0, len(change.partner_ids), SHARD_SIZE):
            await self._start_shard(change.partner_ids[i : i + SHARD_SIZE])

    async def _broadcast(self, change: WindowChange) -> None:
        assert self._inp
        for index in range(len(self._shard_sizes)):
            handle = workflow.get_external_workflow_handle(shard_id(self._inp.cohort_id, index))
            await handle.signal(CohortShardWorkflow.relay, change)

    # --- activities and children ------------------------------------------------------------

    async def _members(self, after: str) -> list[str]:
        assert self._inp
        return await workflow.execute_activity_method(
            JourneyActivities.list_cohort_members,
            MembersPage(cohort_id=self._inp.cohort_id, after=after),
            start_to_close_timeout=DB_TIMEOUT,
            retry_policy=DB_WRITE,
        )

    async def _start_shard(self, partners: list[str]) -> None:
        assert self._inp
        index = len(self._shard_sizes)
        self._shard_sizes.append(len(partners))
        await workflow.start_child_workflow(
            CohortShardWorkflow.run,
            ShardInput(
                cohort_id=self._inp.cohort_id,
                index=index,
                playbook=self._inp.playbook,
                window_ends_at=self._inp.ends_at,
                partners=partners,
                paused=self._paused,
            ),
            id=shard_id(self._inp.cohort_id, index),
            parent_close_policy=ParentClosePolicy.ABANDON,
        )

    async def _set_status(self, status: CohortStatus, scheduled: bool = False) -> None:
        assert self._inp
        starts_at = self._inp.starts_at if scheduled else None
        await workflow.execute_activity_method(
            JourneyActivities.set_cohort_status,
            CohortStatusChange(
                cohort_id=self._inp.cohort_id, status=status, ends_at=self._inp.ends_at, starts_at=starts_at
            ),
            start_to_close_timeout=DB_TIMEOUT,
            retry_policy=DB_WRITE,
        )
