"""Deliver one outbox row exactly once: claim, send, record — a retried activity finds it claimed."""

from __future__ import annotations

import logging

from temporalio.exceptions import ApplicationError

from activities.email.sender import (
    AmbiguousSendError,
    EmailSender,
    OutboundEmail,
    PermanentSendError,
    TransientSendError,
)
from db.repositories import outbox
from db.session import SessionFactory, transaction

log = logging.getLogger(__name__)


async def deliver(sessions: SessionFactory, sender: EmailSender, outbox_id: str, reply_to: str | None) -> str:
    async with transaction(sessions) as session:
        row = await outbox.claim(session, outbox_id)
        if row is None:
            current = await outbox.get(session, outbox_id)
            return current.status if current else "missing"
        email = OutboundEmail(
            outbox_id=row.id,
            to_email=row.to_email,
            to_name=row.to_name,
            subject=row.subject,
            html=row.html,
            text=row.text,
            reply_to=reply_to,
        )
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
    except (TransientSendError, OSError) as exc:
        await _finish(sessions, outbox_id, "pending", error=str(exc))
        raise
    await _finish(sessions, outbox_id, "sent", provider_message_id=message_id)
    return "sent"


async def _finish(
    sessions: SessionFactory,
    outbox_id: str,
    status: str,
    provider_message_id: str | None = None,
    error: str | None = None,
) -> None:
    async with transaction(sessions) as session:
        await outbox.finish(session, outbox_id, status, provider_message_id=provider_message_id, error=error)
