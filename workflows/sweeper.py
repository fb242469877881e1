"""OutboxSweepWorkflow: one sweep of the email outbox, started by a Temporal Schedule (worker.ensure_sweep_schedule)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.sweeper import SweeperActivities, SweepResult

# Each row is sent with the provider timeout; a stuck sweep is abandoned and the next run takes over.
SWEEP_TIMEOUT = timedelta(minutes=30)
SWEEP_HEARTBEAT = timedelta(minutes=2)
# One attempt: the schedule's next run is the retry. A retried attempt would make delivery judge a live
# claim it races with as left by a dead attempt (delivery reads attempt > 1 that way).
SWEEP_RETRY = RetryPolicy(maximum_attempts=1)


@workflow.defn
class OutboxSweepWorkflow:
    @workflow.run
    async def run(self) -> SweepResult:
        return await workflow.execute_activity_method(
            SweeperActivities.sweep_outbox,
            workflow.now(),
            start_to_close_timeout=SWEEP_TIMEOUT,
            heartbeat_timeout=SWEEP_HEARTBEAT,
            retry_policy=SWEEP_RETRY,
        )
