"""The outbox sweeper: sends what nobody sent and settles what nobody will, on a Temporal Schedule.

A row is written `pending` and delivered by the activity that wrote it (or after the API's commit). If
that worker died in between, or the API process did, the row would wait forever: past the pending
grace the sweeper delivers it through the same claim, so it is sent once whoever gets there first.

An `unknown` row (the provider may or may not have the message) is never resent: SendGrid has no
idempotency key, so a resend can deliver twice. SendGrid's webhook settles it with the first event
that proves acceptance. When no event came within the settling window (SMTP never sends one), the
row becomes `unsettled`: listed for the PM at GET /api/v1/emails/unsettled and counted in /metrics,
and still settled by a late webhook event.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from temporalio import activity
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
)

from activities.family import ActivityFamily
from db.repositories import outbox
from db.session import transaction
from mail import deliver_quietly
from settings import Settings
from workflows.sweeper import OutboxSweepWorkflow, SweepResult

log = logging.getLogger(__name__)

BATCH = 200  # rows per sweep: the next run (minutes later) takes the rest
UNSETTLED_WHY = "no provider event settled this send within the settling window; check with the provider"


class SweeperActivities(ActivityFamily):
    @activity.defn
    async def sweep_outbox(self, now: datetime) -> SweepResult:
        """`now` is the workflow's clock, so the windows are judged on the same time as the schedule."""
        grace = timedelta(seconds=self._settings.outbox_pending_grace_seconds)
        window = timedelta(seconds=self._settings.outbox_settle_window_seconds)
        async with transaction(self._sessions) as session:
            stale = await outbox.stale_pending(session, now - grace, BATCH)
        result = SweepResult()
        for outbox_id in stale:
            outcome = await deliver_quietly(self._sessions, self._mail.sender, outbox_id)
            result.delivered[outcome] = result.delivered.get(outcome, 0) + 1
            activity.heartbeat(outbox_id)
        async with transaction(self._sessions) as session:
            result.unsettled = await outbox.settle_unknown(session, now - window, UNSETTLED_WHY)
        if stale or result.unsettled:
            log.info("outbox sweep: delivered %s, %d newly unsettled", result.delivered, result.unsettled)
        return result

    def all(self) -> list:  # type: ignore[type-arg]
        return [self.sweep_outbox]


def sweep_schedule_id(settings: Settings) -> str:
    return f"outbox-sweep/{settings.task_queue}"


async def ensure_sweep_schedule(client: Client, settings: Settings) -> bool:
    """Create the sweeper's schedule unless it exists (every worker calls this at start); True if created."""
    schedule_id = sweep_schedule_id(settings)
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(
            OutboxSweepWorkflow.run, id=f"{schedule_id}/run", task_queue=settings.task_queue
        ),
        spec=ScheduleSpec(
            intervals=[ScheduleIntervalSpec(every=timedelta(seconds=settings.outbox_sweep_every_seconds))]
        ),
        # A sweep still running when the next is due is enough: never two at once, no backlog.
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )
    try:
        await client.create_schedule(schedule_id, schedule)
    except ScheduleAlreadyRunningError:
        return False
    return True
