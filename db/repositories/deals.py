"""Deals: registration (idempotent, conflict-flagging), stage moves and attributions, with the
journey timeline kept in step. Called inside the caller's transaction: the journey activity, the
PM API and the CRM import all register and move deals through here."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from db.cosell_models import AccountExecutive, Deal, DealAttribution, VendorAccount
from db.models import AuditLog, Cohort, CohortMember, Journey, Program
from db.repositories import journeys, partner_events, webhooks
from db.upsert import insert_ignore, upsert
from domain.accounts import name_key, normalize_domain
from domain.deals import ACTIVE, CLOSED, Stage, account_key, check_move, current_attribution, path


@dataclass
class Registration:
    program_id: str
    partner_id: str
    account_name: str
    partner_role: str
    source: str  # partner | pm | crm
    actor: str  # who registered it: a contact's email, "pm", "salesforce import"
    at: datetime
    account_domain: str | None = None
    ae_email: str | None = None
    amount: int | None = None
    currency: str = "USD"
    expected_close: date | None = None
    source_key: str | None = None
    crm_id: str | None = None
    vendor_crm_id: str | None = None  # the CRM's account id, when the registration came from the CRM
    ae_id: str | None = None
    cohort_id: str | None = None
    journey_id: str | None = None
    stage: Stage = Stage.registered
    attribution_said_by: str = "partner"  # who states `partner_role`
    dedupe_by_account: bool = True  # the CRM has several opportunities per account; it dedupes by crm_id
    locked: bool = False  # the caller already holds the program lock (a bulk import takes it once)
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Registered:
    deal: Deal
    created: bool
    conflicts: list[Deal]  # other partners' active deals on the same account (flagged together)
    ae_unmatched: str | None = None  # an AE email nobody imported: kept out of the deal on purpose


async def lock_program(session: AsyncSession, program_id: str) -> Program | None:
    """Registrations in one program are serialized (Postgres row lock), so two partners registering the
    same account at the same moment still see each other; SQLite serializes writers anyway."""
    return await session.scalar(select(Program).where(Program.id == program_id).with_for_update())


async def by_source_key(session: AsyncSession, key: str) -> Deal | None:
    return await session.scalar(select(Deal).where(Deal.source_key == key))


async def by_crm_id(session: AsyncSession, crm_id: str) -> Deal | None:
    return await session.scalar(select(Deal).where(Deal.crm_id == crm_id))


async def listing(
    session: AsyncSession,
    program_id: str | None = None,
    partner_id: str | None = None,
    cohort_id: str | None = None,
    conflict: str | None = None,
    stage: str | None = None,
    limit: int | None = None,
    *,
    program_ids: Collection[str] | None = None,
    source: str | None = None,
    newest_first: bool = False,
    before: Deal | None = None,
) -> list[Deal]:
    """Deals matching every filter given, in registration order. The dashboard's keyset pages: newest first,
    registered before `before` (the previous page's last deal); `program_ids` are the viewer's programs."""
    query = select(Deal)
    for column, value in ((Deal.program_id, program_id), (Deal.partner_id, partner_id), (Deal.cohort_id, cohort_id)):
        if value:
            query = query.where(column == value)
    for column, value in ((Deal.conflict, conflict), (Deal.stage, stage), (Deal.source, source)):
        if value:
            query = query.where(column == value)
    if program_ids is not None:
        query = query.where(Deal.program_id.in_(list(program_ids)))
    if before is not None:
        query = query.where(tuple_(Deal.registered_at, Deal.id) < (before.registered_at, before.id))
    order = (Deal.registered_at.desc(), Deal.id.desc()) if newest_first else (Deal.registered_at, Deal.id)
    query = query.order_by(*order)
    return list(await session.scalars(query.limit(limit) if limit else query))


async def ae_emails(session: AsyncSession, ae_ids: set[str]) -> dict[str, str]:
    rows = await session.execute(
        select(AccountExecutive.id, AccountExecutive.email).where(AccountExecutive.id.in_(ae_ids))
    )
    return {ae_id: email for ae_id, email in rows}


async def active_for_partner(session: AsyncSession, program_id: str, partner_id: str, key: str) -> Deal | None:
    return await session.scalar(
        select(Deal)
        .where(
            Deal.program_id == program_id,
            Deal.partner_id == partner_id,
            Deal.account_key == key,
            Deal.stage.in_([s.value for s in ACTIVE]),
        )
        .order_by(Deal.registered_at)
        .limit(1)
    )


async def conflicting(session: AsyncSession, deal: Deal) -> list[Deal]:
    same_account = [Deal.account_key == deal.account_key]
    if deal.vendor_account_id:
        same_account.append(Deal.vendor_account_id == deal.vendor_account_id)
    rows = await session.scalars(
        select(Deal)
        .where(
            Deal.program_id == deal.program_id,
            Deal.partner_id != deal.partner_id,
            Deal.stage.in_([s.value for s in ACTIVE]),
            or_(*same_account),
        )
        .order_by(Deal.registered_at, Deal.id)
    )
    return list(rows)


async def vendor_account(
    session: AsyncSession, name: str, domain: str | None, crm_id: str | None = None
) -> VendorAccount | None:
    """The vendor's CRM account this deal is about: by CRM id, then normalized domain, then normalized name."""
    if crm_id:
        found = await session.scalar(select(VendorAccount).where(VendorAccount.crm_id == crm_id))
        if found:
            return found
    normalized = normalize_domain(domain) if domain else None
    if normalized:
        found = await session.scalar(
            select(VendorAccount).where(VendorAccount.domain == normalized).order_by(VendorAccount.crm_id).limit(1)
        )
        if found:
            return found
    return await session.scalar(
        select(VendorAccount).where(VendorAccount.name_key == name_key(name)).order_by(VendorAccount.crm_id).limit(1)
    )


async def ae_by_email(session: AsyncSession, email: str) -> AccountExecutive | None:
    return await session.scalar(select(AccountExecutive).where(AccountExecutive.email == email.strip().lower()))


async def ae_by_owner(session: AsyncSession, owner: str) -> AccountExecutive | None:
    """A CRM export's owner column: an email, or the owner name the CRM prints (crm_owner, else name)."""
    owner = owner.strip()
    if "@" in owner:
        return await ae_by_email(session, owner)
    for column in (AccountExecutive.crm_owner, AccountExecutive.name):
        rows = list(await session.scalars(select(AccountExecutive).where(column == owner).limit(2)))
        if len(rows) == 1:
            return rows[0]
    return None


async def window_cohort(session: AsyncSession, program_id: str, partner_id: str, at: datetime) -> str | None:
    """The cohort a registration belongs to when nobody said: the one window of this program the partner
    was a member of at that moment (none, or several, leaves the deal unlinked)."""
    rows = list(
        await session.scalars(
            select(Cohort.id)
            .join(CohortMember, CohortMember.cohort_id == Cohort.id)
            .where(
                Cohort.program_id == program_id,
                CohortMember.partner_id == partner_id,
                CohortMember.removed_at.is_(None),
                Cohort.status != "cancelled",
                Cohort.starts_at <= at,
                Cohort.ends_at >= at,
            )
            .limit(2)
        )
    )
    return rows[0] if len(rows) == 1 else None


async def _journey_of(session: AsyncSession, deal: Deal) -> Journey | None:
    if deal.journey_id:
        return await journeys.get_journey(session, deal.journey_id)
    if deal.cohort_id:
        return await session.scalar(
            select(Journey).where(Journey.cohort_id == deal.cohort_id, Journey.partner_id == deal.partner_id)
        )
    return None


async def timeline(
    session: AsyncSession, deal: Deal, kind: str, at: datetime, data: dict[str, Any], key: str | None = None
) -> None:
    """Put a deal event on the partner's journey timeline (when the deal belongs to one), once per deal and key,
    and tell the partner's running journeys (their waits) what the deal has now reached. A deal webhook event
    is the program's, journey or not."""
    await partner_events.note_many(session, partner_events.reached_by(deal, kind, at))
    await webhooks.emit_deal(session, deal, kind, at, data)
    journey = await _journey_of(session, deal)
    if journey is None:
        return
    base = {"deal_id": deal.id, "account": deal.account_name, "stage": deal.stage}
    await journeys.append_event(
        session, f"deal/{deal.id}/{key or kind}", journey.id, kind, journey.stage, None, at, {**base, **data}
    )


async def say(session: AsyncSession, deal_id: str, attribution: str, said_by: str, actor: str, at: datetime) -> None:
    """Record (or revise) one speaker's view of the partner's contribution: one row per (deal, who, actor)."""
    await upsert(
        session,
        DealAttribution,
        dict(deal_id=deal_id, attribution=attribution, said_by=said_by, actor=actor, at=at),
        keys=["deal_id", "said_by", "actor"],
        update=["attribution", "at"],
    )


async def attributions(session: AsyncSession, deal_ids: list[str]) -> dict[str, list[DealAttribution]]:
    found: dict[str, list[DealAttribution]] = {d: [] for d in deal_ids}
    if not deal_ids:
        return found
    rows = await session.scalars(
        select(DealAttribution)
        .where(DealAttribution.deal_id.in_(deal_ids))
        .order_by(DealAttribution.at, DealAttribution.id)
    )
    for row in rows:
        found[row.deal_id].append(row)
    return found


def attribution_of(rows: list[DealAttribution]) -> DealAttribution | None:
    """The attribution that counts (domain.deals.PRECEDENCE), as the row that said it."""
    best = current_attribution([(r.said_by, r.attribution) for r in rows])
    if best is None:
        return None
    return [r for r in rows if (r.said_by, r.attribution) == best][-1]


async def move(session: AsyncSession, deal: Deal, wanted: Stage, at: datetime, *, implied: bool = False) -> list[Stage]:
    """Move a deal (IllegalMove if it cannot); `implied` lets a CRM report skip the acceptance it implies.
    Returns the stages passed, each also a timeline event."""
    steps = path(deal.stage, wanted) if implied else ([] if deal.stage == wanted else [wanted])
    if not implied and steps:
        check_move(deal.stage, wanted)
    for stage in steps:
        deal.stage = stage.value
        if stage in CLOSED:
            deal.closed_at = at
        await timeline(session, deal, f"deal_{stage.value}", at, {})
    if steps:
        deal.updated_at = at
    return steps


def new_deal(
    reg: Registration, vendor: VendorAccount | None, key: str, ae_id: str | None, cohort_id: str | None
) -> Deal:
    return Deal(
        id=str(uuid.uuid4()),
        program_id=reg.program_id,
        partner_id=reg.partner_id,
        cohort_id=cohort_id,
        journey_id=reg.journey_id,
        vendor_account_id=vendor.id if vendor else None,
        account_name=reg.account_name.strip(),
        account_key=key,
        ae_id=ae_id,
        crm_id=reg.crm_id,
        source_key=reg.source_key,
        source=reg.source,
        stage=reg.stage.value,
        amount=reg.amount,
        currency=reg.currency,
        partner_role=reg.partner_role,
        expected_close=reg.expected_close,
        registered_at=reg.at,
        closed_at=reg.at if reg.stage in CLOSED else None,
        updated_at=reg.at,
    )


async def register(session: AsyncSession, reg: Registration) -> Registered:
    """Register a deal once: by its source key, else the same partner's active deal on the same account.
    A new deal on an account another partner holds flags both for the PM."""
    if not reg.locked:
        await lock_program(session, reg.program_id)
    if reg.source_key and (existing := await by_source_key(session, reg.source_key)):
        return Registered(existing, False, [])
    vendor = await vendor_account(session, reg.account_name, reg.account_domain, reg.vendor_crm_id)
    key = account_key(reg.account_name, reg.account_domain or (vendor.domain if vendor else None))
    if reg.dedupe_by_account and (existing := await active_for_partner(session, reg.program_id, reg.partner_id, key)):
        return Registered(existing, False, [])
    ae_id, ae_unmatched = reg.ae_id, None
    if ae_id is None and reg.ae_email:
        ae = await ae_by_email(session, reg.ae_email)
        ae_id, ae_unmatched = (ae.id, None) if ae else (None, reg.ae_email)
    if ae_id is None and vendor is not None:
        ae_id = vendor.owner_ae_id
    cohort_id = reg.cohort_id or await window_cohort(session, reg.program_id, reg.partner_id, reg.at)
    deal = new_deal(reg, vendor, key, ae_id, cohort_id)
    session.add(deal)
    await session.flush()
    await say(session, deal.id, reg.partner_role, reg.attribution_said_by, reg.actor, reg.at)
    data = {"source": reg.source, "role": reg.partner_role, **reg.detail}
    if ae_unmatched:
        data["ae_email_unmatched"] = ae_unmatched
    await timeline(session, deal, "deal_registered", reg.at, data)
    others = await conflicting(session, deal)
    if others:
        await flag(session, deal, others, reg.at)
    return Registered(deal, True, others, ae_unmatched)


async def flag(session: AsyncSession, deal: Deal, others: list[Deal], at: datetime) -> None:
    """Flag a registration and the deals it collides with; the PM resolves (POST .../resolve-conflict)."""
    ids = [deal.id, *(o.id for o in others)]
    for each in (deal, *others):
        each.conflict = "flagged"
        each.updated_at = at
        await timeline(session, each, "deal_conflict", at, {"deals": ids}, key=f"deal_conflict/{deal.id}")
    await insert_ignore(
        session,
        AuditLog,
        dict(
            at=at,
            actor="system",
            action="deal_conflict_flagged",
            cohort_id=deal.cohort_id,
            idempotency_key=f"deal-conflict/{deal.id}",
            detail={"account_key": deal.account_key, "deals": ids, "partners": [deal.partner_id]},
        ),
    )


async def register_from_step(
    session: AsyncSession,
    *,
    program_id: str,
    cohort_id: str,
    partner_id: str,
    journey_id: str,
    step_key: str,
    answers: dict[str, Any],
    actor: str,
    at: datetime,
) -> Registered | None:
    """A completed deal_registration step (answers already cleaned by its kind, playbooks.kinds): once per
    (journey, step), whatever the retries. None for a snapshot whose step asks no deal fields."""
    if not answers.get("account_name") or not answers.get("partner_role"):
        return None
    amount = answers.get("amount")
    close = answers.get("expected_close")
    return await register(
        session,
        Registration(
            program_id=program_id,
            partner_id=partner_id,
            account_name=str(answers["account_name"]),
            account_domain=answers.get("account_domain"),
            ae_email=answers.get("ae_email"),
            amount=round(float(amount)) if amount is not None else None,
            currency=str(answers.get("currency") or "USD"),
            expected_close=date.fromisoformat(close) if close else None,
            partner_role=str(answers["partner_role"]),
            source="partner",
            actor=actor,
            at=at,
            source_key=f"{journey_id}/{step_key}",
            cohort_id=cohort_id,
            journey_id=journey_id,
            detail={"step_key": step_key, "description": answers.get("description") or ""},
        ),
    )
