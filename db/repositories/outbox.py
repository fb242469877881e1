"""The email outbox: one row per intended email, claimed atomically before any provider call."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["EmailOutbox", "claim", "enqueue", "finish", "get", "recent"]

from db.models import EmailOutbox, utcnow
from db.upsert import insert_ignore


async def enqueue(session: AsyncSession, dedupe_key: str, **values: object) -> str:
    """Insert once per business key; return the row id whether this call inserted it or not."""
    await insert_ignore(session, EmailOutbox, {"id": str(uuid.uuid4()), "dedupe_key": dedupe_key, **values})
    row_id = await session.scalar(select(EmailOutbox.id).where(EmailOutbox.dedupe_key == dedupe_key))
    assert row_id is not None
    return row_id


async def claim(session: AsyncSession, outbox_id: str) -> EmailOutbox | None:
    """pending -> sending, atomically. None when someone already claimed or finished it."""
    result = await session.execute(
        update(EmailOutbox)
        .where(EmailOutbox.id == outbox_id, EmailOutbox.status == "pending")
        .values(status="sending", attempts=EmailOutbox.attempts + 1)
    )
    if not getattr(result, "rowcount", 0):
        return None
    return await session.get(EmailOutbox, outbox_id, populate_existing=True)


async def finish(
    session: AsyncSession,
    outbox_id: str,
    status: str,
    provider_message_id: str | None = None,
    error: str | None = None,
    sent_at: datetime | None = None,
) -> None:
    await session.execute(
        update(EmailOutbox)
        .where(EmailOutbox.id == outbox_id)
        .values(status=status, provider_message_id=provider_message_id, error=error, sent_at=sent_at or utcnow())
    )


async def get(session: AsyncSession, outbox_id: str) -> EmailOutbox | None:
    return await session.get(EmailOutbox, outbox_id)


async def recent(session: AsyncSession, limit: int = 200) -> list[EmailOutbox]:
    rows = await session.scalars(select(EmailOutbox).order_by(EmailOutbox.created_at.desc()).limit(limit))
    return list(rows)
