"""Partners and their contacts."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import PartnerContact


async def primary_contact(session: AsyncSession, partner_id: str) -> PartnerContact | None:
    """Who a partner's emails go to: the primary contact, else the first one added (the lowest id)."""
    return await session.scalar(
        select(PartnerContact)
        .where(PartnerContact.partner_id == partner_id)
        .order_by(PartnerContact.is_primary.desc(), PartnerContact.id)
        .limit(1)
    )
