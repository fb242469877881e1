"""Partners and their contacts."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Partner, PartnerContact


async def primary_contact(session: AsyncSession, partner_id: str) -> PartnerContact | None:
    """Who a partner's emails go to: the primary contact, else the first one added (the lowest id)."""
    return await session.scalar(
        select(PartnerContact)
        .where(PartnerContact.partner_id == partner_id)
        .order_by(PartnerContact.is_primary.desc(), PartnerContact.id)
        .limit(1)
    )


async def by_external_id(session: AsyncSession, external_id: str) -> Partner | None:
    return await session.scalar(select(Partner).where(Partner.external_id == external_id))


async def contacts_by_email(session: AsyncSession, partner_id: str) -> dict[str, PartnerContact]:
    rows = await session.scalars(select(PartnerContact).where(PartnerContact.partner_id == partner_id))
    return {contact.email: contact for contact in rows}


async def names(session: AsyncSession, partner_ids: set[str]) -> dict[str, str]:
    rows = await session.execute(select(Partner.id, Partner.name).where(Partner.id.in_(partner_ids)))
    return {partner_id: name for partner_id, name in rows}
