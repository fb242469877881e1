"""What the dashboard lists: cohorts with their counts, gate holds, and where a partner belongs (for access checks)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.cosell_models import Deal
from db.models import Cohort, CohortMember, EmailOutbox, Journey, JourneyEvent, JourneyStep, Partner, Program


@dataclass
class CohortRow:
    id: str
    name: str
    program: str
    program_id: str
    status: str
    starts_at: datetime
    ends_at: datetime
    partners: int = 0
    by_stage: dict[str, int] = field(default_factory=dict)
    by_tier: dict[int, int] = field(default_factory=dict)  # current members by their tier (1 Invest … 3 Baseline)


@dataclass(frozen=True)
class UnsettledEmail:
    """A partner's email nobody could confirm was sent (outbox `unsettled`), with the cohort and partner it is for."""

    outbox_id: str
    cohort_id: str
    cohort_name: str
    partner_id: str
    partner_name: str
    to_email: str
    subject: str
    why: str
    since: datetime


async def unsettled_emails(
    session: AsyncSession, program_ids: Collection[str] | None, limit: int
) -> list[UnsettledEmail]:
    """Journey emails left `unsettled` in cohorts of these programs (None: all), oldest first."""
    stmt = (
        select(EmailOutbox, Cohort.id, Cohort.name, Partner.id, Partner.name)
        .join(Journey, Journey.id == EmailOutbox.journey_id)
        .join(Cohort, Cohort.id == Journey.cohort_id)
        .join(Partner, Partner.id == Journey.partner_id)
        .where(EmailOutbox.status == "unsettled")
    )
    if program_ids is not None:
        stmt = stmt.where(Cohort.program_id.in_(list(program_ids)))
    rows = await session.execute(stmt.order_by(EmailOutbox.created_at, EmailOutbox.id).limit(limit))
    return [
        UnsettledEmail(
            e.id,
            cohort_id,
            cohort,
            partner_id,
            partner,
            e.to_email,
            e.subject,
            e.error or "",
            e.claimed_at or e.created_at,
        )
        for e, cohort_id, cohort, partner_id, partner in rows
    ]


async def cohorts(session: AsyncSession, program_ids: Collection[str] | None) -> list[CohortRow]:
    """Cohorts of these programs (None: all), newest window first, with member, per-tier and per-stage
    counts from grouped queries (not one query per cohort)."""
    stmt = select(Cohort, Program.name).join(Program, Program.id == Cohort.program_id)
    if program_ids is not None:
        stmt = stmt.where(Cohort.program_id.in_(list(program_ids)))
    rows = {
        c.id: CohortRow(c.id, c.name, name, c.program_id, c.status, c.starts_at, c.ends_at)
        for c, name in await session.execute(stmt.order_by(Cohort.starts_at.desc(), Cohort.id))
    }
    if not rows:
        return []
    members = await session.execute(
        select(CohortMember.cohort_id, func.count())
        .where(CohortMember.cohort_id.in_(list(rows)), CohortMember.removed_at.is_(None))
        .group_by(CohortMember.cohort_id)
    )
    for cohort_id, count in members:
        rows[cohort_id].partners = count
    tiers = await session.execute(
        select(CohortMember.cohort_id, Partner.tier, func.count())
        .join(Partner, Partner.id == CohortMember.partner_id)
        .where(CohortMember.cohort_id.in_(list(rows)), CohortMember.removed_at.is_(None))
        .group_by(CohortMember.cohort_id, Partner.tier)
    )
    for cohort_id, tier, count in tiers:
        rows[cohort_id].by_tier[tier] = count
    stages = await session.execute(
        select(Journey.cohort_id, Journey.stage, func.count())
        .where(Journey.cohort_id.in_(list(rows)))
        .group_by(Journey.cohort_id, Journey.stage)
    )
    for cohort_id, stage, count in stages:
        rows[cohort_id].by_stage[stage] = count
    return list(rows.values())


async def program_of_cohort(session: AsyncSession, cohort_id: str) -> str | None:
    program_id: str | None = await session.scalar(select(Cohort.program_id).where(Cohort.id == cohort_id))
    return program_id


async def programs_of_partner(session: AsyncSession, partner_id: str) -> set[str]:
    """Every program the partner was ever in a cohort of: who may open its page."""
    rows = await session.scalars(
        select(Cohort.program_id)
        .join(CohortMember, CohortMember.cohort_id == Cohort.id)
        .where(CohortMember.partner_id == partner_id)
        .distinct()
    )
    return set(rows)


async def programs_of_partners(session: AsyncSession, partner_ids: Collection[str]) -> dict[str, set[str]]:
    """programs_of_partner for many partners in one query; a partner in no program is not a key."""
    found: dict[str, set[str]] = {}
    if not partner_ids:
        return found
    rows = await session.execute(
        select(CohortMember.partner_id, Cohort.program_id)
        .join(Cohort, CohortMember.cohort_id == Cohort.id)
        .where(CohortMember.partner_id.in_(list(partner_ids)))
        .distinct()
    )
    for partner_id, program_id in rows:
        found.setdefault(partner_id, set()).add(program_id)
    return found


@dataclass(frozen=True)
class JourneyRow:
    journey: Journey
    cohort_id: str
    cohort_name: str
    program_id: str
    # Every step the partner may answer now: a parallel play's steps, or a step sent back beside the next one.
    open_steps: tuple[str, ...] = ()

    @property
    def steps_now(self) -> tuple[str, ...]:
        """What the partner works on (or waits for) now, as the page lists it."""
        current = self.journey.current_step
        return self.open_steps or ((current,) if current else ())


OPEN_STEP = ("invited", "reminded", "reopened")


async def journeys_of_partner(session: AsyncSession, partner_id: str) -> list[JourneyRow]:
    rows = (
        await session.execute(
            select(Journey, Cohort.name, Cohort.program_id)
            .join(Cohort, Cohort.id == Journey.cohort_id)
            .where(Journey.partner_id == partner_id)
            .order_by(Journey.started_at.desc())
        )
    ).all()
    running = [j.id for j, _, _ in rows if j.status not in ("completed", "exited")]
    steps = await session.execute(
        select(JourneyStep.journey_id, JourneyStep.step_key)
        .where(JourneyStep.journey_id.in_(running), JourneyStep.status.in_(OPEN_STEP))
        .order_by(JourneyStep.invited_at, JourneyStep.step_key)
    )
    open_steps: dict[str, list[str]] = {}
    for jid, step_key in steps:
        open_steps.setdefault(jid, []).append(step_key)
    return [
        JourneyRow(j, j.cohort_id, name, program_id, tuple(open_steps.get(j.id, ()))) for j, name, program_id in rows
    ]


async def timeline(session: AsyncSession, journey_ids: list[str], limit: int) -> list[JourneyEvent]:
    """The newest events of these journeys, newest first."""
    rows = await session.scalars(
        select(JourneyEvent)
        .where(JourneyEvent.journey_id.in_(journey_ids))
        .order_by(JourneyEvent.occurred_at.desc(), JourneyEvent.id.desc())
        .limit(limit)
    )
    return list(rows)


async def deal_programs(session: AsyncSession, deal_ids: list[str]) -> dict[str, str]:
    """Each deal's program: a partner's page shows a manager only the deals of their programs."""
    rows = await session.execute(select(Deal.id, Deal.program_id).where(Deal.id.in_(deal_ids)))
    return {deal_id: program_id for deal_id, program_id in rows}


async def first_deals(session: AsyncSession, cohort_id: str) -> list[datetime]:
    """When each partner of the cohort registered its first deal tied to the cohort (metrics' time to first deal)."""
    rows = await session.scalars(
        select(func.min(Deal.registered_at)).where(Deal.cohort_id == cohort_id).group_by(Deal.partner_id)
    )
    return list(rows)


@dataclass(frozen=True)
class Hold:
    partner_id: str
    partner_name: str
    reason: str
    since: datetime


async def gate_holds(session: AsyncSession, cohort_id: str, limit: int) -> tuple[list[Hold], int]:
    """The first `limit` active members held at a gate (longest held first, by the journey's last update),
    each with its latest hold's reason, and how many are held in all."""
    held = (
        select(Journey.id, Journey.partner_id, Partner.name, Journey.updated_at)
        .join(Partner, Partner.id == Journey.partner_id)
        .join(
            CohortMember,
            and_(CohortMember.cohort_id == Journey.cohort_id, CohortMember.partner_id == Journey.partner_id),
        )
        .where(Journey.cohort_id == cohort_id, Journey.status == "held", CohortMember.removed_at.is_(None))
    )
    total = await session.scalar(select(func.count()).select_from(held.subquery())) or 0
    rows = list(await session.execute(held.order_by(Journey.updated_at, Journey.partner_id).limit(limit)))
    events = await session.execute(
        select(JourneyEvent.journey_id, JourneyEvent.occurred_at, JourneyEvent.data)
        .where(JourneyEvent.journey_id.in_([r[0] for r in rows]), JourneyEvent.kind == "gate_held")
        .order_by(JourneyEvent.occurred_at)
    )
    latest = {journey_id: (at, data) for journey_id, at, data in events}  # the last hold of each wins
    holds = []
    for journey_id, partner_id, name, updated_at in rows:
        at, data = latest.get(journey_id, (updated_at, {}))
        holds.append(Hold(partner_id, name, str(data.get("reason", "held at a gate")), at))
    return holds, int(total)
