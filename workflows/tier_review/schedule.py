"""Each program's tier review Schedule, and a review started now (by the API or the CLI).

Not imported by the workflow: this is client-side code. The schedule's cadence follows the program's
`tier_review_cadence` (domain.intel.review_period.CRON); `ensure_review_schedule` creates it or brings its
spec in line, so the worker's start and a PM's cadence change both converge on one schedule per program.
"""

from __future__ import annotations

import logging

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
    WorkflowHandle,
)
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError

from domain.intel.review_period import CRON
from workflows.tier_review.messages import (
    TierReviewInput,
    TierReviewResult,
    tier_review_workflow_id,
    tier_schedule_id,
)
from workflows.tier_review.workflow import TierReviewWorkflow

log = logging.getLogger(__name__)


def _schedule(program_id: str, cadence: str, task_queue: str) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            TierReviewWorkflow.run,
            TierReviewInput(program_id=program_id),
            id=f"{tier_schedule_id(program_id)}/scheduled",
            task_queue=task_queue,
        ),
        spec=ScheduleSpec(cron_expressions=[CRON[cadence]]),
        # A review still running when the next is due is enough; the period key dedupes the rest.
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


async def ensure_review_schedule(client: Client, program_id: str, cadence: str, task_queue: str) -> bool:
    """Create the program's schedule, or set its cadence; True when it was created."""
    wanted = _schedule(program_id, cadence, task_queue)
    try:
        await client.create_schedule(tier_schedule_id(program_id), wanted)
    except ScheduleAlreadyRunningError:

        def _update(found: ScheduleUpdateInput) -> ScheduleUpdate:
            return ScheduleUpdate(schedule=wanted)

        await client.get_schedule_handle(tier_schedule_id(program_id)).update(_update)
        return False
    return True


async def ensure_review_schedule_quietly(client: Client, program_id: str, cadence: str, task_queue: str) -> None:
    """For a program the API just created: a failure here must not fail the request that saved it (the next
    worker start, a cadence change or a triggered review creates the schedule), so it is logged instead."""
    try:
        await ensure_review_schedule(client, program_id, cadence, task_queue)
    except RPCError as exc:
        log.warning("tier review schedule of program %s not created now: %s", program_id, exc)


async def start_review(
    client: Client, program_id: str, period: str, task_queue: str
) -> WorkflowHandle[TierReviewWorkflow, TierReviewResult]:
    """A review of `period` now; a review of that period already running is the one returned."""
    return await client.start_workflow(
        TierReviewWorkflow.run,
        TierReviewInput(program_id=program_id, period=period),
        id=tier_review_workflow_id(program_id, period),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
