"""What the Tiers page lists for a program: the stored tier of each member partner, a page at a time,
the tier mix, and the latest tier review with its movements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.intel_models import TierMovement, TierReview
from db.models import Cohort, CohortMember, Partner


@dataclass(frozen=True)
class TierRow:
    partner_id: str
    name: str
    tier: int
    classification: str  # as the last tier review stored it; "" before the first


def _members(program_id: str):  # type: ignore[no-untyped-def]
    """The program's partners: current members of any of its cohorts (as its tier reviews count them)."""
    return (
        select(CohortMember.partner_id)
        .join(Cohort, Cohort.id == CohortMember.cohort_id)
        .where(Cohort.program_id == program_id, CohortMember.removed_at.is_(None))
    )


async def tier_mix(session: AsyncSession, program_id: str) -> dict[int, int]:
    rows = await session.execute(
        select(Partner.tier, func.count())
        .where(Partner.id.in_(_members(program_id)))
        .group_by(Partner.tier)
        .order_by(Partner.tier)
    )
    return {tier: n for tier, n in rows}


async def partners(
    session: AsyncSession, program_id: str, tier: int | None, classification: str, offset: int, limit: int
) -> list[TierRow]:
    """Best tier first, then by name; `limit` bounds the page."""
    query = select(Partner.id, Partner.name, Partner.tier, Partner.classification).where(
        Partner.id.in_(_members(program_id))
    )
    if tier is not None:
        query = query.where(Partner.tier == tier)
    if classification:
        query = query.where(Partner.classification == classification)
    rows = await session.execute(query.order_by(Partner.tier, Partner.name, Partner.id).offset(offset).limit(limit))
    return [TierRow(pid, name, t, c or "") for pid, name, t, c in rows]


async def latest_review(session: AsyncSession, program_id: str) -> TierReview | None:
    return await session.scalar(
        select(TierReview).where(TierReview.program_id == program_id).order_by(TierReview.started_at.desc()).limit(1)
    )


async def movements(session: AsyncSession, review_id: str, limit: int) -> list[tuple[TierMovement, str]]:
    """The review's movements with the partner's name, promotions first; at most `limit`."""
    rows = await session.execute(
        select(TierMovement, Partner.name)
        .join(Partner, Partner.id == TierMovement.partner_id)
        .where(TierMovement.review_id == review_id)
        .order_by(TierMovement.new_tier - TierMovement.previous_tier, Partner.name)
        .limit(limit)
    )
    return [(m, name) for m, name in rows]


async def review_moves(
    session: AsyncSession, program_id: str, limit: int
) -> list[tuple[str, dict[tuple[int, int], int]]]:
    """The program's last `limit` reviews, oldest first, each with how many partners moved from one tier to
    another (the Tiers page rebuilds the mix after each review from these). A running review's movements
    are already in the partners' tiers, so it is listed too, marked."""
    reviews = list(
        await session.scalars(
            select(TierReview).where(TierReview.program_id == program_id).order_by(TierReview.as_of.desc()).limit(limit)
        )
    )
    counts = await session.execute(
        select(TierMovement.review_id, TierMovement.previous_tier, TierMovement.new_tier, func.count())
        .where(TierMovement.review_id.in_([r.id for r in reviews]))
        .group_by(TierMovement.review_id, TierMovement.previous_tier, TierMovement.new_tier)
    )
    moves: dict[str, dict[tuple[int, int], int]] = {r.id: {} for r in reviews}
    for review_id, before, after, n in counts:
        moves[review_id][(before, after)] = n
    return [(r.period + (" (running)" if r.status != "done" else ""), moves[r.id]) for r in reversed(reviews)]


async def signal_history(session: AsyncSession, partner_id: str, limit: int) -> list[tuple[datetime, dict[str, int]]]:
    """The signal values a partner's tier movements read (the only past values cosell keeps), oldest first."""
    rows = await session.execute(
        select(TierMovement.at, TierMovement.signals)
        .where(TierMovement.partner_id == partner_id)
        .order_by(TierMovement.at.desc())
        .limit(limit)
    )
    return [(at, dict(signals or {})) for at, signals in reversed(rows.all())]
