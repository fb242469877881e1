"""Deliver one outbox row at most once: claim, check suppression, send, record.

The claim (pending -> sending) commits before the provider is called, so a retried or replayed
activity finds the row claimed and sends nothing. A claim whose attempt died mid-send is settled as
`unknown` rather than resent: the provider may already have the message (SendGrid has no
idempotency key), and its webhook will tell us.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity
from temporalio.exceptions import ApplicationError

from db.models import EmailOutbox, utcnow
from db.repositories import journeys, outbox, suppressions
from db.session import SessionFactory, transaction
from db.views.journeys import journey_facts
from mail import notices
from mail.sender import (
    AmbiguousSendError,
    EmailSender,
    OutboundEmail,
    PermanentSendError,
    TransientSendError,
)

log = logging.getLogger(__name__)

# Outside Temporal (API-side sends) nobody retries a dead attempt's claim before this; a live attempt
# holds its claim for at most the provider timeout plus two short DB writes.
CLAIM_TTL = timedelta(minutes=10)


async def deliver(sessions: SessionFactory, sender: EmailSender, outbox_id: str, reply_to: str | None) -> str:
    """Send the row if this call wins the claim; return the row's status afterwards."""
    async with transaction(sessions) as session:
        row = await outbox.claim(session, outbox_id)
        if row is None:
            return await _not_claimed(session, outbox_id)
        block = await suppressions.blocking(session, row.to_email, row.kind)
        if block is None:
            email = await outbound(session, row, reply_to)
        else:
            await outbox.finish(session, outbox_id, "suppressed", error=f"suppressed: {block.reason}")
            alert_id = await _suppressed(session, row, block.reason, sender.name)
    if block is None:
        return await send_claimed(sessions, sender, email)
    if alert_id is not None:
        await deliver_quietly(sessions, sender, alert_id)
    return "suppressed"


async def deliver_quietly(sessions: SessionFactory, sender: EmailSender, outbox_id: str) -> str:
    """For side emails (PM alerts, fresh links): a failure is logged and stays in the outbox, and never
    fails the caller's own work (a journey must not stop because the PM's alert bounced)."""
    try:
        return await deliver(sessions, sender, outbox_id, None)
    except Exception as exc:  # noqa: BLE001 - logged; the row keeps the error and status
        log.warning("could not deliver outbox %s: %s", outbox_id, exc)
        return "error"


async def deliver_all(sessions: SessionFactory, sender: EmailSender, outbox_ids: list[str]) -> None:
    """API-side sends (PM alerts, fresh links), run after the response: each is attempted once;
    a failure stays visible in the outbox row."""
    for outbox_id in outbox_ids:
        await deliver_quietly(sessions, sender, outbox_id)


async def outbound(session: AsyncSession, row: EmailOutbox, reply_to: str | None) -> OutboundEmail:
    facts = await journey_facts(session, row.journey_id) if row.journey_id else None
    if reply_to is None and facts is not None and not notices.is_pm_email(row.kind):
        reply_to = facts.pm_email or None  # the PM answers partners' replies
    return OutboundEmail(
        outbox_id=row.id,
        to_email=row.to_email,
        to_name=row.to_name,
        subject=row.subject,
        html=row.html,
        text=row.text,
        reply_to=reply_to,
        kind=row.kind,
        from_name=facts.program_name if facts else "",
    )


async def send_claimed(sessions: SessionFactory, sender: EmailSender, email: OutboundEmail) -> str:
    """Send a row this caller has claimed (`sending`) and record the outcome."""
    outbox_id = email.outbox_id
    try:
        message_id = await sender.send(email)
    except PermanentSendError as exc:
        await _finish(sessions, outbox_id, "failed", error=str(exc))
        raise ApplicationError(
            f"email rejected by {sender.name}: {exc}", type="EmailRejected", non_retryable=True
        ) from exc
    except AmbiguousSendError as exc:
        log.warning("send outcome unknown for outbox %s: %s", outbox_id, exc)
        await _finish(sessions, outbox_id, "unknown", error=str(exc))
        return "unknown"
    except TransientSendError as exc:
        await _finish(sessions, outbox_id, "pending", error=str(exc))
        if exc.retry_after:
            # 429: come back when the provider's window resets, not on the generic backoff.
            raise ApplicationError(
                str(exc), type="EmailThrottled", next_retry_delay=timedelta(seconds=exc.retry_after)
            ) from exc
        raise
    except OSError as exc:
        await _finish(sessions, outbox_id, "pending", error=str(exc))
        raise
    await _finish(sessions, outbox_id, "sent", provider_message_id=message_id)
    return "sent"


async def _not_claimed(session: AsyncSession, outbox_id: str) -> str:
    current = await outbox.get(session, outbox_id)
    if current is None:
        return "missing"
    if current.status != "sending" or not _previous_attempt_died(current):
        return current.status
    why = "the sending attempt died after claiming; outcome unknown"
    if await outbox.release_stale_claim(session, outbox_id, current.attempts, why):
        log.warning("outbox %s was left mid-send by a dead attempt; marked unknown, not resent", outbox_id)
        return "unknown"
    return current.status


def _previous_attempt_died(row: EmailOutbox) -> bool:
    # Temporal retries an activity only after the previous attempt failed or timed out. Every failure
    # path above releases or settles the claim, so a claim still held on a retry belongs to an
    # attempt that died (worker killed, or the DB write after the send failed).
    if activity.in_activity() and activity.info().attempt > 1:
        return True
    return row.claimed_at is not None and utcnow() - row.claimed_at > CLAIM_TTL


async def _suppressed(session: AsyncSession, row: EmailOutbox, reason: str, provider: str) -> str | None:
    """Tell the journey (and once, the PM) that this email was not sent to a suppressed address."""
    if not row.journey_id or notices.is_pm_email(row.kind):
        return None
    facts = await journey_facts(session, row.journey_id)
    if facts is None:
        return None
    now = utcnow()
    step_key = notices.step_of(row)
    await journeys.append_event(
        session,
        f"{row.journey_id}/email/{row.id}/suppressed",
        row.journey_id,
        "email_suppressed",
        facts.journey.stage,
        step_key,
        now,
        {"outbox_id": row.id, "kind": row.kind, "reason": reason},
    )
    return await notices.contact_unreachable(
        session,
        facts,
        email=row.to_email,
        contact_name=row.to_name,
        reason=reason,
        step_key=step_key,
        occurred_at=now,
        provider=provider,
    )


async def _finish(
    sessions: SessionFactory,
    outbox_id: str,
    status: str,
    provider_message_id: str | None = None,
    error: str | None = None,
) -> None:
    async with transaction(sessions) as session:
        await outbox.finish(session, outbox_id, status, provider_message_id=provider_message_id, error=error)
