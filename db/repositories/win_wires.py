"""Win wires: one draft per won deal whose AE says the partner sourced or influenced it and would invite it
again (the AE's own words tell what the partner did), kept in step with the AE's revisions until the PM approves
it; the field list is who gets it (an address that unsubscribes leaves it)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.cosell_models import AccountExecutive, AeFeedback, Deal
from db.models import AuditLog, Partner, Program
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


def earned(deal: Deal | None, answer: AeFeedback | None) -> bool:
    """A won deal whose AE says the partner sourced or influenced it, would invite it again, and says how."""
    if deal is None or answer is None or deal.stage != "closed_won":
        return False
    return answer.contribution in PRAISED and bool(answer.invite_again) and bool(answer.comment.strip())


async def draft_if_earned(session: AsyncSession, deal_id: str, ae_id: str, at: datetime) -> str | None:
    """Keep the deal's draft in step with its AE's current answer: written once when earned; while not yet
    approved, a revised answer rewrites it in the AE's new words (a PM edit included: the PM reads it again
    before approving), withdraws it when it no longer qualifies, and restores it when it qualifies again.
    An approved story went out and is never changed. Returns drafted | refreshed | withdrawn, or None."""
    deal = await session.get(Deal, deal_id)
    answer = await session.get(AeFeedback, (deal_id, ae_id), populate_existing=True)
    wire = await session.scalar(select(WinWire).where(WinWire.deal_id == deal_id))
    if wire is not None and (wire.status == "approved" or wire.ae_id != ae_id):
        return None
    if not earned(deal, answer):
        if wire is None or wire.status == "withdrawn":
            return None
        wire.status = "withdrawn"
        await _audit(session, wire, "win_wire_withdrawn", at)
        return "withdrawn"
    assert deal is not None and answer is not None
    partner = await session.get(Partner, deal.partner_id)
    ae = await session.get(AccountExecutive, ae_id)
    if partner is None or ae is None:
        return None
    subject, text = story(deal, partner, ae, answer.comment)
    if wire is None:
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
        return "drafted" if await insert_ignore(session, WinWire, values) else None
    if (wire.subject, wire.text, wire.status) == (subject, text, "draft"):
        return None  # the same answer again (a retried activity)
    wire.subject, wire.text, wire.status = subject, text, "draft"
    await _audit(session, wire, "win_wire_refreshed", at)
    return "refreshed"


async def _audit(session: AsyncSession, wire: WinWire, action: str, at: datetime) -> None:
    detail = {"win_wire_id": wire.id, "deal_id": wire.deal_id, "program_id": wire.program_id}
    session.add(AuditLog(at=at, actor="system", action=action, detail=detail))
    await session.flush()


async def program_of(session: AsyncSession, wire_id: str) -> Program | None:
    wire = await session.get(WinWire, wire_id)
    return None if wire is None else await session.get(Program, wire.program_id)


async def unsubscribe(session: AsyncSession, wire_id: str, email: str, at: datetime) -> str | None:
    """A field-list address's one-click unsubscribe from a win wire it got: the address leaves the wire's
    program's field list (audited). The program's id when this call removed it."""
    wire = await session.get(WinWire, wire_id)
    if wire is None:
        return None
    removed = await session.execute(
        delete(FieldListAddress).where(
            FieldListAddress.program_id == wire.program_id, FieldListAddress.email == email.strip().lower()
        )
    )
    if not getattr(removed, "rowcount", 0):
        return None
    detail = {"program_id": wire.program_id, "email": email, "win_wire_id": wire_id, "via": "unsubscribe link"}
    session.add(AuditLog(at=at, actor="unsubscribe link", action="field_list_unsubscribed", detail=detail))
    await session.flush()
    return wire.program_id


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
