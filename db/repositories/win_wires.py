"""Win wires: a draft is written once per won deal whose AE says the partner sourced or influenced it and
would invite it again (the AE's own words tell what the partner did); the field list is who gets it."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.cosell_models import AccountExecutive, AeFeedback, Deal
from db.models import Partner
from db.upsert import insert_ignore
from db.win_wire_models import FieldListAddress, WinWire

PRAISED = ("sourced", "influenced")


def story(deal: Deal, partner: Partner, ae: AccountExecutive, comment: str) -> tuple[str, str]:
    """The subject and text of a draft: who collaborated, what the partner did (the AE's words), the outcome."""
    amount = f" ({deal.currency} {deal.amount:,})" if deal.amount is not None else ""
    subject = f"Win: {deal.account_name}{amount} with {partner.name}"
    text = (
        f"{ae.name} won {deal.account_name}{amount} together with {partner.name}.\n\n"
        f"In {ae.name}'s words: \u201c{comment.strip()}\u201d"
    )
    return subject, text


async def draft_if_earned(session: AsyncSession, deal_id: str, ae_id: str, at: datetime) -> bool:
    """Write the deal's draft unless the deal is not won, the answer does not praise the partner, or a draft
    exists already (a later revision of the answer never writes a second one); True when it wrote one."""
    deal = await session.get(Deal, deal_id)
    answer = await session.get(AeFeedback, (deal_id, ae_id), populate_existing=True)
    if deal is None or answer is None or deal.stage != "closed_won":
        return False
    if answer.contribution not in PRAISED or not answer.invite_again or not answer.comment.strip():
        return False
    partner = await session.get(Partner, deal.partner_id)
    ae = await session.get(AccountExecutive, ae_id)
    if partner is None or ae is None:
        return False
    subject, text = story(deal, partner, ae, answer.comment)
    values = dict(
        id=str(uuid.uuid4()),
        deal_id=deal_id,
        program_id=deal.program_id,
        partner_id=partner.id,
        ae_id=ae_id,
        subject=subject,
        text=text,
        status="draft",
        created_at=at,
    )
    return await insert_ignore(session, WinWire, values)


async def of_program(session: AsyncSession, program_id: str, status: str | None = None) -> list[WinWire]:
    query = select(WinWire).where(WinWire.program_id == program_id)
    if status is not None:
        query = query.where(WinWire.status == status)
    return list(await session.scalars(query.order_by(WinWire.created_at, WinWire.id)))


async def field_list(session: AsyncSession, program_id: str) -> list[str]:
    rows = await session.scalars(
        select(FieldListAddress.email).where(FieldListAddress.program_id == program_id).order_by(FieldListAddress.email)
    )
    return list(rows)


async def replace_field_list(session: AsyncSession, program_id: str, emails: list[str]) -> None:
    await session.execute(delete(FieldListAddress).where(FieldListAddress.program_id == program_id))
    session.add_all(FieldListAddress(program_id=program_id, email=e) for e in sorted(set(emails)))
    await session.flush()
