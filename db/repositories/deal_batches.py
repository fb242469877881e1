"""What a CRM import checks its rows against, read in a few bulk queries before the first row, and the
new deals written together: a 100,000-row export costs a few hundred statements, not several per row.
The rules are the single-deal ones in db/repositories/deals.py, applied to prefetched rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.cosell_models import Deal, DealAttribution, VendorAccount
from db.models import AuditLog, Cohort, CohortMember, Journey, Partner
from db.repositories import journeys as timeline
from db.repositories import partner_events, webhooks
from db.upsert import insert_ignore_many
from domain.accounts import name_key, normalize_domain
from domain.deals import ACTIVE

CHUNK = 500  # values per IN list: under SQLite's and asyncpg's bind-parameter limits with room to spare
ACTIVE_STAGES = [s.value for s in ACTIVE]


def chunks(values: Iterable[Any]) -> Iterable[list[Any]]:
    items = sorted({v for v in values if v})
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


@dataclass
class Vendors:
    """The vendor's CRM accounts a file names, found as repo.vendor_account finds one: CRM id, then
    normalized domain, then normalized name (the lowest CRM id wins a tie, in the database's order)."""

    by_crm: dict[str, VendorAccount] = field(default_factory=dict)
    by_domain: dict[str, VendorAccount] = field(default_factory=dict)
    by_name: dict[str, VendorAccount] = field(default_factory=dict)

    def find(self, name: str, domain: str | None, crm_id: str | None) -> VendorAccount | None:
        if crm_id and crm_id in self.by_crm:
            return self.by_crm[crm_id]
        normalized = normalize_domain(domain) if domain else None
        if normalized and normalized in self.by_domain:
            return self.by_domain[normalized]
        return self.by_name.get(name_key(name))


async def vendors(session: AsyncSession, names: set[str], domains: set[str], crm_ids: set[str]) -> Vendors:
    found = Vendors()
    for column, values, into in (
        (VendorAccount.crm_id, crm_ids, found.by_crm),
        (VendorAccount.domain, {normalize_domain(d) for d in domains}, found.by_domain),
        (VendorAccount.name_key, {name_key(n) for n in names}, found.by_name),
    ):
        for chunk in chunks(values):
            rows = await session.scalars(select(VendorAccount).where(column.in_(chunk)).order_by(VendorAccount.crm_id))
            for account in rows:
                into.setdefault(getattr(account, column.key), account)
    return found


async def partners(session: AsyncSession, column: Any, values: set[str]) -> dict[str, list[Partner]]:
    found: dict[str, list[Partner]] = defaultdict(list)
    for chunk in chunks(values):
        for partner in await session.scalars(select(Partner).where(column.in_(chunk))):
            found[getattr(partner, column.key)].append(partner)
    return found


async def by_crm_ids(session: AsyncSession, crm_ids: set[str]) -> dict[str, Deal]:
    found: dict[str, Deal] = {}
    for chunk in chunks(crm_ids):
        found.update({d.crm_id or "": d for d in await session.scalars(select(Deal).where(Deal.crm_id.in_(chunk)))})
    return found


async def unlinked(session: AsyncSession, program_id: str, partner_ids: set[str]) -> dict[str, list[Deal]]:
    """Each partner's own active registrations that no CRM opportunity has claimed yet, oldest first."""
    found: dict[str, list[Deal]] = defaultdict(list)
    for chunk in chunks(partner_ids):
        rows = await session.scalars(
            select(Deal)
            .where(
                Deal.program_id == program_id,
                Deal.partner_id.in_(chunk),
                Deal.crm_id.is_(None),
                Deal.stage.in_(ACTIVE_STAGES),
            )
            .order_by(Deal.registered_at, Deal.id)
        )
        for deal in rows:
            found[deal.partner_id].append(deal)
    return found


async def window_cohorts(session: AsyncSession, program_id: str, partner_ids: set[str], at: datetime) -> dict[str, str]:
    """repo.window_cohort for many partners: the one window each was a member of at `at` (none or several: absent)."""
    seen: dict[str, list[str]] = defaultdict(list)
    for chunk in chunks(partner_ids):
        rows = await session.execute(
            select(CohortMember.partner_id, Cohort.id)
            .join(Cohort, CohortMember.cohort_id == Cohort.id)
            .where(
                Cohort.program_id == program_id,
                CohortMember.partner_id.in_(chunk),
                CohortMember.removed_at.is_(None),
                Cohort.status != "cancelled",
                Cohort.starts_at <= at,
                Cohort.ends_at >= at,
            )
        )
        for partner_id, cohort_id in rows:
            seen[partner_id].append(cohort_id)
    return {p: ids[0] for p, ids in seen.items() if len(ids) == 1}


@dataclass
class ActiveDeals:
    """The program's active deals by account, kept current while an import walks its rows in file order,
    so each new deal collides with what repo.conflicting would find at that moment."""

    by_key: dict[str, list[Deal]] = field(default_factory=lambda: defaultdict(list))
    by_vendor: dict[str, list[Deal]] = field(default_factory=lambda: defaultdict(list))

    def add(self, deal: Deal) -> None:
        self.by_key[deal.account_key].append(deal)
        if deal.vendor_account_id:
            self.by_vendor[deal.vendor_account_id].append(deal)

    def others(self, deal: Deal) -> list[Deal]:
        same = {d.id: d for d in self.by_key.get(deal.account_key, ())}
        if deal.vendor_account_id:
            same.update({d.id: d for d in self.by_vendor.get(deal.vendor_account_id, ())})
        hits = [d for d in same.values() if d.partner_id != deal.partner_id and d.stage in ACTIVE_STAGES]
        return sorted(hits, key=lambda d: (d.registered_at, d.id))


async def active_deals(session: AsyncSession, program_id: str, keys: set[str], vendor_ids: set[str]) -> ActiveDeals:
    index = ActiveDeals()
    seen: set[str] = set()
    for column, values in ((Deal.account_key, keys), (Deal.vendor_account_id, vendor_ids)):
        for chunk in chunks(values):
            rows = await session.scalars(
                select(Deal).where(Deal.program_id == program_id, Deal.stage.in_(ACTIVE_STAGES), column.in_(chunk))
            )
            for deal in rows:
                if deal.id not in seen:
                    seen.add(deal.id)
                    index.add(deal)
    return index


async def insert_registered(
    session: AsyncSession, registered: Sequence[tuple[Deal, dict[str, Any]]], said_by: str, actor: str
) -> None:
    """New deals with their attribution and `deal_registered` timeline event (plus `detail`), written together."""
    if not registered:
        return
    deals = [d for d, _ in registered]
    session.add_all(deals)
    await session.flush()
    await insert_ignore_many(
        session,
        DealAttribution,
        [
            dict(deal_id=d.id, attribution=d.partner_role, said_by=said_by, actor=actor, at=d.registered_at)
            for d in deals
        ],
    )
    await timeline.append_events(session, await _registered_events(session, registered))
    await webhooks.emit_deals_created(session, list(registered))
    reached = [fact for d in deals for fact in partner_events.reached_by(d, "deal_registered", d.registered_at)]
    await partner_events.note_many(session, reached)  # told to the partners' running journeys after the commit


async def _registered_events(
    session: AsyncSession, registered: Sequence[tuple[Deal, dict[str, Any]]]
) -> list[dict[str, Any]]:
    journeys = await journeys_of(session, [d for d, _ in registered])
    events = []
    for deal, detail in registered:
        if journey := journeys.get(deal.id):
            data = {"deal_id": deal.id, "account": deal.account_name, "stage": deal.stage, "source": deal.source}
            events.append(
                _event(
                    deal,
                    journey,
                    "deal_registered",
                    "deal_registered",
                    deal.registered_at,
                    {**data, "role": deal.partner_role, **detail},
                )
            )
    return events


def _event(deal: Deal, journey: Journey, kind: str, key: str, at: datetime, data: dict[str, Any]) -> dict[str, Any]:
    """A row for repo.timeline's event: the same id, so the one-by-one path and this one never both write it."""
    return dict(
        id=f"deal/{deal.id}/{key}",
        journey_id=journey.id,
        kind=kind,
        stage=journey.stage,
        step_key=None,
        occurred_at=at,
        data=data,
    )


async def journeys_of(session: AsyncSession, deals: Iterable[Deal]) -> dict[str, Journey]:
    """repo._journey_of for many deals: deal id -> the journey its timeline events go on."""
    deals = list(deals)
    by_id: dict[str, Journey] = {}
    for chunk in chunks({d.journey_id for d in deals}):
        by_id.update({j.id: j for j in await session.scalars(select(Journey).where(Journey.id.in_(chunk)))})
    by_member: dict[tuple[str, str], Journey] = {}
    members = [d for d in deals if not d.journey_id and d.cohort_id]
    for chunk in chunks({d.cohort_id for d in members}):
        for part in chunks({d.partner_id for d in members if d.cohort_id in chunk}):
            rows = await session.scalars(
                select(Journey).where(Journey.cohort_id.in_(chunk), Journey.partner_id.in_(part))
            )
            by_member.update({(j.cohort_id, j.partner_id): j for j in rows})
    found = {}
    for deal in deals:
        journey = by_id.get(deal.journey_id or "") or by_member.get((deal.cohort_id or "", deal.partner_id))
        if journey is not None:
            found[deal.id] = journey
    return found


@dataclass
class Collision:
    """A new deal on an account other partners hold, as it stood when its row was read."""

    deal: Deal
    others: list[Deal]
    stages: dict[str, str]  # deal id -> its stage at that moment (a later row may move it)


async def flag_all(session: AsyncSession, collisions: Sequence[Collision], at: datetime) -> None:
    """repo.flag for many collisions: each deal flagged, each a timeline event, one audit row per new deal."""
    journeys = await journeys_of(session, {d.id: d for c in collisions for d in (c.deal, *c.others)}.values())
    events, audits = [], []
    for c in collisions:
        ids = [c.deal.id, *(o.id for o in c.others)]
        for each in (c.deal, *c.others):
            each.conflict, each.updated_at = "flagged", at
            if journey := journeys.get(each.id):
                base = {"deal_id": each.id, "account": each.account_name, "stage": c.stages[each.id]}
                key = f"deal_conflict/{c.deal.id}"
                events.append(_event(each, journey, "deal_conflict", key, at, {**base, "deals": ids}))
        detail = {"account_key": c.deal.account_key, "deals": ids, "partners": [c.deal.partner_id]}
        audits.append(
            dict(
                at=at,
                actor="system",
                action="deal_conflict_flagged",
                cohort_id=c.deal.cohort_id,
                idempotency_key=f"deal-conflict/{c.deal.id}",
                detail=detail,
            )
        )
    await timeline.append_events(session, events)
    await insert_ignore_many(session, AuditLog, audits)
