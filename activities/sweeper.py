"""The outbox sweeper: sends what nobody sent and settles what nobody will, on a Temporal Schedule
(worker.ensure_sweep_schedule) that runs workflows/sweeper.py.

A row is written `pending` and delivered by the activity that wrote it (or after the API's commit). If
that worker died in between, or the API process did, the row would wait forever: past the pending
grace the sweeper delivers it through the same claim, so it is sent once whoever gets there first.

An `unknown` row (the provider may or may not have the message) is never resent blindly: SendGrid has no
idempotency key, so a resend can deliver twice. With SendGrid, once the claim is older than the query
delay the sweeper asks its Email Activity API (mail.reconcile): found -> `sent`; provably not found ->
sent once more (at most once a row); SendGrid unreachable -> asked again at the next sweep. SendGrid's
webhook settles a row too. A row still `unknown` after the settling window becomes `unsettled`: listed
for the PM at GET /api/v1/emails/unsettled and on the dashboard's Today page, counted in /metrics, and
still settled by a late webhook event. SMTP cannot be asked and sends no events, so with SMTP a row is
`unsettled` (never resent) as soon as the query delay has passed: see the README's outbox section.
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
from mail.reconcile import UNANSWERED, reconcile
from mail.sender import lookup_of

log = logging.getLogger(__name__)

BATCH = 200  # rows per sweep: the next run (minutes later) takes the rest
# SendGrid's Email Activity API allows 6 requests a minute; sweeps run minutes apart.
LOOKUPS_PER_SWEEP = 5
UNSETTLED_WHY = "no provider event settled this send within the settling window; check with the provider"
SMTP_UNSETTLED_WHY = (
    "the mail server's answer was lost and SMTP cannot be asked; look for this email's id in the relay's log"
)


class SweepResult(BaseModel):
    delivered: dict[str, int] = {}  # outcome -> rows, for the stale rows this sweep attempted
    reconciled: dict[str, int] = {}  # outcome -> `unknown` rows the provider was asked about (mail.reconcile)
    unsettled: int = 0  # `unknown` rows moved to `unsettled`


class SweeperActivities(ActivityFamily):
    @activity.defn
    async def sweep_outbox(self, now: datetime) -> SweepResult:
        """`now` is the workflow's clock, so the windows are judged on the same time as the schedule."""
        grace = timedelta(seconds=self._settings.outbox_pending_grace_seconds)
        async with transaction(self._sessions) as session:
            stale = await outbox.stale_pending(session, now - grace, BATCH)
        result = SweepResult()
        for outbox_id in stale:
            outcome = await deliver_quietly(self._sessions, self._mail.sender, outbox_id)
            result.delivered[outcome] = result.delivered.get(outcome, 0) + 1
            activity.heartbeat(outbox_id)
        await self._reconcile(now, result)
        why, window = UNSETTLED_WHY, timedelta(seconds=self._settings.outbox_settle_window_seconds)
        if lookup_of(self._mail.sender) is None:  # SMTP: nothing will ever settle it, so the PM hears soon
            why, window = SMTP_UNSETTLED_WHY, timedelta(seconds=self._settings.outbox_query_after_seconds)
        async with transaction(self._sessions) as session:
            result.unsettled = await outbox.settle_unknown(session, now - window, why)
        if stale or result.reconciled or result.unsettled:
            log.info("outbox sweep: %s", result)
        return result

    async def _reconcile(self, now: datetime, result: SweepResult) -> None:
        """Ask the provider about `unknown` rows old enough for it to show them; stop at the first it leaves
        unanswered (down or rate-limited: the next sweep asks again)."""
        lookup = lookup_of(self._mail.sender)
        if lookup is None:
            return
        after = timedelta(seconds=self._settings.outbox_query_after_seconds)
        async with transaction(self._sessions) as session:
            unknown = await outbox.unknown_claimed_before(session, now - after, LOOKUPS_PER_SWEEP)
        for outbox_id in unknown:
            try:
                outcome = await reconcile(self._sessions, self._mail.sender, lookup, outbox_id)
            except Exception as exc:  # noqa: BLE001 - the resend's failure stays in the row, as for any send
                log.warning("could not reconcile outbox %s: %s", outbox_id, exc)
                outcome = "error"
            result.reconciled[outcome] = result.reconciled.get(outcome, 0) + 1
            activity.heartbeat(outbox_id)
            if outcome == UNANSWERED:
                return

    def all(self) -> list:  # type: ignore[type-arg]
        return [self.sweep_outbox]
