"""Settle an `unknown` outbox row by asking the provider whether it accepted the message.

An `unknown` row is a send whose outcome was lost: the worker died between the claim and the provider's
answer, or the answer timed out. SendGrid has no idempotency key, so resending blindly could deliver twice;
asking first cannot. Each send carries the row's id in its custom args (mail.sendgrid.OUTBOX_ARG), and the
sweeper asks only once the claim is older than the Email Activity's own delay, so "not found" is proof.
"""

from __future__ import annotations

import logging

from db.repositories import outbox, suppressions
from db.session import SessionFactory, transaction
from mail.delivery import outbound, send_claimed
from mail.sender import EmailSender, LookupUnanswered, SentLookup

log = logging.getLogger(__name__)

CONFIRMED = "confirmed"  # the provider has it: `sent`, never resent
UNANSWERED = "unanswered"  # the provider could not be asked: still `unknown`, asked again at the next sweep
KEPT = "kept"  # not found, but already resent once: left `unknown` for the settling window and the PM


async def reconcile(sessions: SessionFactory, sender: EmailSender, lookup: SentLookup, outbox_id: str) -> str:
    """CONFIRMED, UNANSWERED, KEPT, or the outcome of the one resend (sent, unknown, pending, suppressed)."""
    try:
        message_id = await lookup.lookup(outbox_id)
    except LookupUnanswered as exc:
        log.warning("could not ask %s about outbox %s: %s", sender.name, outbox_id, exc)
        return UNANSWERED
    async with transaction(sessions) as session:
        if message_id is not None:
            await outbox.finish(session, outbox_id, "sent", provider_message_id=message_id)
            return CONFIRMED
        row = await outbox.claim_resend(session, outbox_id)
        if row is None:  # resent before, or settled meanwhile (a webhook event, another sweep)
            return KEPT
        block = await suppressions.blocking(session, row.to_email, row.kind)
        if block is not None:
            await outbox.finish(session, outbox_id, "suppressed", error=f"suppressed: {block.reason}")
            return "suppressed"
        email = await outbound(session, row, None)
    log.warning("%s has no message for outbox %s; sending it once more", sender.name, outbox_id)
    return await send_claimed(sessions, sender, email)
