"""The owner AE's news of a partner's deal registration (db.deal_notice_models.AeDealNotice).

Noted in the registration's own transaction, so the news exists exactly when the deal does; the AE's
daily digest then claims the pending notices it carries (a conditional update: two digests racing for
one notice, or a retried send, still tell the AE once). A CRM import never notes one: its deals are the
AE's own CRM data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.cosell_models import AccountExecutive, AccountMatch, Deal, VendorAccount
from db.deal_notice_models import AeDealNotice
from db.models import AuditLog, Partner
from db.repositories import deals as deals_repo
from db.upsert import insert_ignore
from domain.ae_digest import digest_slot
from workflows.intro_batch.messages import intro_batch_id

PENDING, SENT, NOBODY = "pending", "sent", "nobody"


async def owner_of(session: AsyncSession, deal: Deal) -> tuple[AccountExecutive | None, str]:
    """The AE who owns the deal's CRM account, or None and why nobody can be told."""
    account = await session.get(VendorAccount, deal.vendor_account_id) if deal.vendor_account_id else None
    if account is None:
        return None, f"no CRM account of the vendor matches {deal.account_name!r}, so it has no owner AE"
    if account.owner_ae_id is None:
        return None, f"the CRM account {account.name!r} has no owner AE"
    ae = await session.get(AccountExecutive, account.owner_ae_id)
    if ae is None:
        return None, f"the owner AE of {account.name!r} is not known"
    return ae, ""


async def note(
    session: AsyncSession, deal: Deal, created: bool, registered_by: str, text: str, at: datetime
) -> AeDealNotice | None:
    """The notice of a partner's (or the PM's) registration: written with a new deal, found again for a
    repeated one (None when the deal was not registered through a path that tells the AE)."""
    if not created:
        return await session.get(AeDealNotice, deal.id)
    ae, reason = await owner_of(session, deal)
    batch = intro_batch_id(ae.id, digest_slot(at)[0]) if ae else None
    values = dict(
        deal_id=deal.id,
        ae_id=ae.id if ae else None,
        batch_id=batch,
        status=PENDING if ae else NOBODY,
        registered_by=registered_by,
        note=text.strip(),
        reason=reason,
        noted_at=at,
    )
    await insert_ignore(session, AeDealNotice, values)
    if ae is None:
        await _nobody_told(session, deal, reason, at)
    return await session.get(AeDealNotice, deal.id)


async def _nobody_told(session: AsyncSession, deal: Deal, reason: str, at: datetime) -> None:
    """On the partner's timeline (when the deal has a journey) and always in the audit log."""
    await deals_repo.timeline(session, deal, "deal_ae_not_told", at, {"reason": reason})
    await insert_ignore(
        session,
        AuditLog,
        dict(
            at=at,
            actor="system",
            action="deal_ae_not_told",
            cohort_id=deal.cohort_id,
            idempotency_key=f"deal-ae-not-told/{deal.id}",
            detail={"deal_id": deal.id, "partner_id": deal.partner_id, "reason": reason},
        ),
    )


async def move_to_batch(session: AsyncSession, deal_ids: list[str], batch_id: str) -> None:
    """The day's digest had already finished: the news goes into the next one."""
    await session.execute(
        update(AeDealNotice)
        .where(AeDealNotice.deal_id.in_(deal_ids), AeDealNotice.status == PENDING)
        .values(batch_id=batch_id)
    )


@dataclass
class DealNews:
    notice: AeDealNotice
    deal: Deal
    partner: Partner
    account: VendorAccount | None


async def claim(
    session: AsyncSession, ae_id: str, deal_ids: list[str], outbox_key: str, at: datetime
) -> list[DealNews]:
    """The pending notices of `deal_ids` for this AE, now the digest `outbox_key`'s; with those it claimed
    before (a retried send renders the same email). A notice another digest claimed is not repeated."""
    if not deal_ids:
        return []
    await session.execute(
        update(AeDealNotice)
        .where(AeDealNotice.deal_id.in_(deal_ids), AeDealNotice.ae_id == ae_id, AeDealNotice.status == PENDING)
        .values(status=SENT, sent_at=at, outbox_key=outbox_key)
        .execution_options(synchronize_session=False)
    )
    rows = await session.execute(
        select(AeDealNotice, Deal, Partner, VendorAccount)
        .join(Deal, Deal.id == AeDealNotice.deal_id)
        .join(Partner, Partner.id == Deal.partner_id)
        .outerjoin(VendorAccount, VendorAccount.id == Deal.vendor_account_id)
        .where(AeDealNotice.deal_id.in_(deal_ids), AeDealNotice.outbox_key == outbox_key)
        .order_by(Deal.registered_at, Deal.id)
        .execution_options(populate_existing=True)
    )
    return [DealNews(n, d, p, a) for n, d, p, a in rows]


async def owned_overlap(session: AsyncSession, partner_id: str, ae_id: str) -> list[VendorAccount]:
    """The vendor accounts this AE owns that are in the partner's overlap, by name."""
    rows = await session.scalars(
        select(VendorAccount)
        .join(AccountMatch, AccountMatch.vendor_account_id == VendorAccount.id)
        .where(AccountMatch.partner_id == partner_id, VendorAccount.owner_ae_id == ae_id)
        .distinct()
        .order_by(VendorAccount.name)
    )
    return list(rows)
