"""The outbox sweeper: sends what nobody sent and settles what nobody will, on a Temporal Schedule
(worker.ensure_sweep_schedule) that runs workflows/sweeper.py.

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

from pydantic import BaseModel
from temporalio import activity

from activities.family import ActivityFamily
from db.repositories import outbox
from db.session import transaction
from mail import deliver_quietly

log = logging.getLogger(__name__)

BATCH = 200  # rows per sweep: the next run (minutes later) takes the rest
UNSETTLED_WHY = "no provider event settled this send within the settling window; check with the provider"


class SweepResult(BaseModel):
    delivered: dict[str, int] = {}  # outcome -> rows, for the stale rows this sweep attempted
    unsettled: int = 0  # `unknown` rows moved to `unsettled`


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
