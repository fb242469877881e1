"""AE feedback requests: one row per (deal, AE); status requested -> submitted | expired."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.cosell_models import AccountExecutive, AeFeedback, Deal
from db.upsert import insert_ignore


async def open_request(
    session: AsyncSession, deal: Deal, ae_id: str, requested_at: datetime, expires_at: datetime
) -> AeFeedback:
    """Create the request once; a second call reads back the first one."""
    await insert_ignore(
        session,
        AeFeedback,
        dict(
            deal_id=deal.id,
            ae_id=ae_id,
            partner_id=deal.partner_id,
            status="requested",
            requested_at=requested_at,
            expires_at=expires_at,
        ),
    )
    row = await session.get(AeFeedback, (deal.id, ae_id), populate_existing=True)
    assert row is not None
    return row


async def count_reminder(session: AsyncSession, deal_id: str, ae_id: str, n: int) -> None:
    await session.execute(
        update(AeFeedback)
        .where(AeFeedback.deal_id == deal_id, AeFeedback.ae_id == ae_id, AeFeedback.reminders_sent < n)
        .values(reminders_sent=n)
    )


async def record_answer(session: AsyncSession, deal_id: str, ae_id: str, revision: int, **answers: Any) -> None:
    """Revision n replaces n-1, never the reverse (a late retry of an older revision changes nothing)."""
    await session.execute(
        update(AeFeedback)
        .where(AeFeedback.deal_id == deal_id, AeFeedback.ae_id == ae_id, AeFeedback.revisions < revision)
        .values(status="submitted", revisions=revision, **answers)
    )


async def expire(session: AsyncSession, deal_id: str, ae_id: str) -> None:
    """An unanswered request becomes `expired`; an answer given before stays as it was."""
    await session.execute(
        update(AeFeedback)
        .where(AeFeedback.deal_id == deal_id, AeFeedback.ae_id == ae_id, AeFeedback.status == "requested")
        .values(status="expired")
    )


async def of_partner(session: AsyncSession, partner_id: str) -> list[tuple[AeFeedback, Deal, AccountExecutive]]:
    """Every request about a partner's deals, oldest first, with its deal and AE."""
    rows = await session.execute(
        select(AeFeedback, Deal, AccountExecutive)
        .join(Deal, Deal.id == AeFeedback.deal_id)
        .join(AccountExecutive, AccountExecutive.id == AeFeedback.ae_id)
        .where(AeFeedback.partner_id == partner_id)
        .order_by(AeFeedback.requested_at)
    )
    return [(row, deal, ae) for row, deal, ae in rows.all()]


async def for_deals(session: AsyncSession, deal_ids: list[str]) -> list[AeFeedback]:
    return list(await session.scalars(select(AeFeedback).where(AeFeedback.deal_id.in_(deal_ids))))
