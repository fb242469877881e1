"""The email outbox: one row per intended email, claimed atomically before any provider call.

Status moves forward only. The send path: pending -> sending -> sent | failed | unknown | suppressed
(or back to pending after a transient failure). Provider events then move an accepted message along
sent -> delivered -> bounced | dropped; `unknown` is settled by the first event that proves acceptance.
The sweeper (activities/sweeper.py) asks a provider that can be asked (SendGrid) about an `unknown` row:
found -> `sent`; provably not there -> `sending` again for one resend (`resent_at`, at most once a row).
It moves an `unknown` row nothing settled within the settling window to `unsettled`, for the PM to check
by hand; a late event still settles it.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

__all__ = [
    "EmailOutbox",
    "advance",
    "by_provider_message_id",
    "claim",
    "claim_resend",
    "enqueue",
    "enqueue_if_new",
    "finish",
    "get",
    "latest_for_step",
    "latest_to",
    "mark_first",
    "record_event",
    "recent",
    "release_stale_claim",
    "settle_unknown",
    "stale_pending",
    "unknown_claimed_before",
    "unsettled",
]

from db.models import Cohort, EmailEvent, EmailOutbox, Journey, utcnow
from db.upsert import insert_ignore

# Where each provider-side status sits; an event never moves a row backwards.
PROVIDER_RANK = {"sending": 1, "unknown": 2, "unsettled": 2, "sent": 3, "delivered": 4, "bounced": 5, "dropped": 5}


async def enqueue(session: AsyncSession, dedupe_key: str, **values: object) -> str:
    """Insert once per business key; return the row id whether this call inserted it or not."""
    await insert_ignore(session, EmailOutbox, {"id": str(uuid.uuid4()), "dedupe_key": dedupe_key, **values})
    row_id = await session.scalar(select(EmailOutbox.id).where(EmailOutbox.dedupe_key == dedupe_key))
    assert row_id is not None
    return row_id


async def enqueue_if_new(session: AsyncSession, dedupe_key: str, **values: object) -> tuple[str, bool]:
    """Like enqueue, and also say whether this call created the row."""
    inserted = await insert_ignore(session, EmailOutbox, {"id": str(uuid.uuid4()), "dedupe_key": dedupe_key, **values})
    row_id = await session.scalar(select(EmailOutbox.id).where(EmailOutbox.dedupe_key == dedupe_key))
    assert row_id is not None
    return row_id, inserted


async def claim(session: AsyncSession, outbox_id: str) -> EmailOutbox | None:
    """pending -> sending, atomically. None when someone already claimed or finished it."""
    result = await session.execute(
        update(EmailOutbox)
        .where(EmailOutbox.id == outbox_id, EmailOutbox.status == "pending")
        .values(status="sending", attempts=EmailOutbox.attempts + 1, claimed_at=utcnow())
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
) -> bool:
    """Record the outcome of the claimed attempt. Only a row still `sending` (or `unknown`, for a late
    success) changes, so a webhook that got there first is never overwritten with an older state."""
    allowed = ("sending", "unknown", "unsettled") if status == "sent" else ("sending",)
    values: dict[str, object] = {"status": status, "error": error, "sent_at": sent_at or utcnow()}
    if provider_message_id is not None:
        values["provider_message_id"] = provider_message_id
    result = await session.execute(
        update(EmailOutbox).where(EmailOutbox.id == outbox_id, EmailOutbox.status.in_(allowed)).values(**values)
    )
    if provider_message_id is not None:
        await session.execute(
            update(EmailOutbox)
            .where(EmailOutbox.id == outbox_id, EmailOutbox.provider_message_id.is_(None))
            .values(provider_message_id=provider_message_id)
        )
    return bool(getattr(result, "rowcount", 0))


async def release_stale_claim(session: AsyncSession, outbox_id: str, attempts: int, why: str) -> bool:
    """A claim left by a dead attempt: the provider may have the message, so it becomes `unknown`.
    `attempts` pins the claim we judged stale, so a newer claim is never touched."""
    result = await session.execute(
        update(EmailOutbox)
        .where(EmailOutbox.id == outbox_id, EmailOutbox.status == "sending", EmailOutbox.attempts == attempts)
        .values(status="unknown", error=why)
    )
    return bool(getattr(result, "rowcount", 0))


async def advance(session: AsyncSession, outbox_id: str, status: str) -> bool:
    """Move a row forward to a provider-reported status; never backwards, never out of failed/suppressed."""
    rank = PROVIDER_RANK[status]
    lower = [s for s, r in PROVIDER_RANK.items() if r < rank]
    result = await session.execute(
        update(EmailOutbox).where(EmailOutbox.id == outbox_id, EmailOutbox.status.in_(lower)).values(status=status)
    )
    return bool(getattr(result, "rowcount", 0))


async def record_event(session: AsyncSession, values: dict[str, object]) -> bool:
    """Store a provider event once per provider event id; False when it was stored before."""
    return await insert_ignore(session, EmailEvent, values)


async def mark_first(session: AsyncSession, outbox_id: str, column: str, at: datetime) -> None:
    """Set delivered_at / opened_at / clicked_at the first time only."""
    col = getattr(EmailOutbox, column)
    await session.execute(update(EmailOutbox).where(EmailOutbox.id == outbox_id, col.is_(None)).values({column: at}))


async def get(session: AsyncSession, outbox_id: str) -> EmailOutbox | None:
    return await session.get(EmailOutbox, outbox_id)


async def by_provider_message_id(session: AsyncSession, message_id: str) -> EmailOutbox | None:
    return await session.scalar(select(EmailOutbox).where(EmailOutbox.provider_message_id == message_id).limit(1))


async def latest_for_step(session: AsyncSession, journey_id: str, step_key: str) -> EmailOutbox | None:
    """The newest invite/reminder for a step: who the step's emails go to."""
    return await session.scalar(
        select(EmailOutbox)
        .where(
            EmailOutbox.journey_id == journey_id,
            EmailOutbox.kind.in_(("step_invite", "step_reminder")),
            EmailOutbox.dedupe_key.startswith(f"{journey_id}/{step_key}/", autoescape=True),
        )
        .order_by(EmailOutbox.created_at.desc())
        .limit(1)
    )


async def latest_to(session: AsyncSession, email: str) -> EmailOutbox | None:
    """The newest journey email to an address: links a provider event without our id to a journey."""
    return await session.scalar(
        select(EmailOutbox)
        .where(
            func.lower(EmailOutbox.to_email) == email.lower(),
            EmailOutbox.journey_id.is_not(None),
            EmailOutbox.kind.in_(("step_invite", "step_reminder", "fresh_link")),
        )
        .order_by(EmailOutbox.created_at.desc())
        .limit(1)
    )


async def recent(session: AsyncSession, limit: int = 200) -> list[EmailOutbox]:
    rows = await session.scalars(select(EmailOutbox).order_by(EmailOutbox.created_at.desc()).limit(limit))
    return list(rows)


async def stale_pending(session: AsyncSession, created_before: datetime, limit: int) -> list[str]:
    """Rows nobody sent: still `pending` long after they were written, or `sending` under a claim
    older than `created_before` (its attempt died; delivery settles that one as `unknown`)."""
    rows = await session.scalars(
        select(EmailOutbox.id)
        .where(
            or_(
                (EmailOutbox.status == "pending") & (EmailOutbox.created_at < created_before),
                (EmailOutbox.status == "sending") & (EmailOutbox.claimed_at < created_before),
            )
        )
        .order_by(EmailOutbox.created_at)
        .limit(limit)
    )
    return list(rows)


async def settle_unknown(session: AsyncSession, claimed_before: datetime, why: str) -> int:
    """`unknown` rows no provider event settled since their claim: `unsettled`, never resent."""
    result = await session.execute(
        update(EmailOutbox)
        .where(EmailOutbox.status == "unknown", EmailOutbox.claimed_at < claimed_before)
        .values(status="unsettled", error=why)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def unknown_claimed_before(session: AsyncSession, claimed_before: datetime, limit: int) -> list[str]:
    """`unknown` rows whose claim is older than `claimed_before`, oldest first: the provider is asked about them."""
    rows = await session.scalars(
        select(EmailOutbox.id)
        .where(EmailOutbox.status == "unknown", EmailOutbox.claimed_at < claimed_before)
        .order_by(EmailOutbox.claimed_at, EmailOutbox.id)
        .limit(limit)
    )
    return list(rows)


async def claim_resend(session: AsyncSession, outbox_id: str) -> EmailOutbox | None:
    """unknown -> sending for the one resend of a row the provider proved it never received, atomically and
    only for a row never resent: a second sweep, or one retried after dying mid-resend, finds nothing to claim."""
    now = utcnow()
    result = await session.execute(
        update(EmailOutbox)
        .where(EmailOutbox.id == outbox_id, EmailOutbox.status == "unknown", EmailOutbox.resent_at.is_(None))
        .values(status="sending", attempts=EmailOutbox.attempts + 1, claimed_at=now, resent_at=now)
    )
    if not getattr(result, "rowcount", 0):
        return None
    return await session.get(EmailOutbox, outbox_id, populate_existing=True)


async def unsettled(
    session: AsyncSession, limit: int = 500, programs: Collection[str] | None = None
) -> list[EmailOutbox]:
    """With `programs`, only the emails of journeys in their cohorts (the PM's and AEs' own emails are no
    program's: an admin's or a bootstrap key sees those)."""
    query = select(EmailOutbox).where(EmailOutbox.status == "unsettled")
    if programs is not None:
        journeys = select(Journey.id).join(Cohort, Cohort.id == Journey.cohort_id)
        query = query.where(EmailOutbox.journey_id.in_(journeys.where(Cohort.program_id.in_(list(programs)))))
    rows = await session.scalars(query.order_by(EmailOutbox.created_at).limit(limit))
    return list(rows)
