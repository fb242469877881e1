"""Tier reviews and tier movements: written by the review's activities, read by the API (partner 360).

Idempotent per program and period: the review row is unique per (program, period) and keeps the moment
it judges; a partner's `tier_reviewed_in` names the last review that judged it, so a retried page skips
it; a movement, its timeline event and its audit row each have a unique business key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.intel_models import TierMovement, TierReview
from db.models import AuditLog, Cohort, CohortMember, Journey, Partner, Program
from db.repositories import journeys, webhooks
from db.upsert import insert_ignore, insert_ignore_many

ACTOR = "tier-review"


@dataclass(frozen=True, slots=True)
class Judged:
    """One partner's decision at a review, as the page activity computed it."""

    partner_id: str
    previous: int
    tier: int
    move: str  # promoted | demoted | held | kept
    missed_reviews: int
    reasons: tuple[str, ...]
    signals: dict[str, int]
    rubric: str
    classification: str | None = None  # on_track | not_yet | at_risk | not_now


async def open_review(session: AsyncSession, program_id: str, period: str, review_id: str, now: datetime) -> TierReview:
    """The period's review, created on first call; later calls get the same row (and its `as_of`)."""
    values = dict(id=review_id, program_id=program_id, period=period, as_of=now, started_at=now, status="running")
    await insert_ignore(session, TierReview, values)
    found = await session.scalar(select(TierReview).where(TierReview.id == review_id))
    assert found is not None
    return found


async def get_review(session: AsyncSession, review_id: str) -> TierReview | None:
    return await session.get(TierReview, review_id)


async def program(session: AsyncSession, program_id: str) -> Program | None:
    return await session.get(Program, program_id)


async def partner_page(session: AsyncSession, program_id: str, after: str | None, limit: int) -> list[str]:
    """The program's partners (current members of any of its cohorts) by id, after the cursor."""
    query = (
        select(CohortMember.partner_id)
        .join(Cohort, Cohort.id == CohortMember.cohort_id)
        .where(Cohort.program_id == program_id, CohortMember.removed_at.is_(None))
        .distinct()
        .order_by(CohortMember.partner_id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(CohortMember.partner_id > after)
    return list(await session.scalars(query))


async def judged_by(session: AsyncSession, review_id: str, partner_ids: Sequence[str]) -> set[str]:
    rows = await session.scalars(
        select(Partner.id).where(Partner.id.in_(list(partner_ids)), Partner.tier_reviewed_in == review_id)
    )
    return set(rows)


async def _latest_journeys(session: AsyncSession, program_id: str, partner_ids: list[str]) -> dict[str, Journey]:
    rows = await session.scalars(
        select(Journey)
        .join(Cohort, Cohort.id == Journey.cohort_id)
        .where(Cohort.program_id == program_id, Journey.partner_id.in_(partner_ids))
        .order_by(Journey.started_at)
    )
    return {j.partner_id: j for j in rows}  # the latest wins


async def _store_partners(session: AsyncSession, review: TierReview, judged: Sequence[Judged]) -> None:
    """Each partner's tier, hysteresis state and the scores judged (progress pages read them)."""
    await session.execute(
        update(Partner),
        [
            {
                "id": j.partner_id,
                "tier": j.tier,
                "missed_reviews": j.missed_reviews,
                "tier_reviewed_in": review.id,
                "scores": j.signals,
                "classification": j.classification,
                "scored_at": review.as_of,
            }
            for j in judged
        ],
    )


async def record(session: AsyncSession, review: TierReview, judged: Sequence[Judged]) -> int:
    """Store a page's decisions: every partner's tier and hysteresis state, and each movement with its
    timeline event and audit row. Returns the movements this call recorded."""
    if not judged:
        return 0
    await _store_partners(session, review, judged)
    moved = [j for j in judged if j.tier != j.previous]
    latest = await _latest_journeys(session, review.program_id, [j.partner_id for j in moved])
    movements, audits = [], []
    events: list[dict[str, Any]] = []
    unjourneyed: list[tuple[str, dict[str, Any]]] = []
    for j in moved:
        detail = _detail(review.id, j)
        movements.append(
            dict(
                review_id=review.id,
                partner_id=j.partner_id,
                previous_tier=j.previous,
                new_tier=j.tier,
                move=j.move,
                reasons=list(j.reasons),
                signals=j.signals,
                rubric=j.rubric,
                at=review.as_of,
            )
        )
        key = f"tier/{review.id}/{j.partner_id}"
        audits.append(
            dict(
                at=review.as_of, actor=ACTOR, action="tier_changed", idempotency_key=key, cohort_id=None, detail=detail
            )
        )
        if (journey := latest.get(j.partner_id)) is None:
            unjourneyed.append((j.partner_id, detail))
        else:
            event_id = f"{journey.id}/tier/{review.id}"
            events.append(
                dict(
                    id=event_id,
                    journey_id=journey.id,
                    kind="tier_changed",
                    stage=journey.stage,
                    step_key=None,
                    occurred_at=review.as_of,
                    data=detail,
                )
            )
    # One statement per table per page: a review of 10,000 partners is round trips, not row by row.
    count = await insert_ignore_many(session, TierMovement, movements)
    await insert_ignore_many(session, AuditLog, audits)
    await journeys.append_events(session, events)
    if unjourneyed and await webhooks.any_enabled(session):
        for pid, detail in unjourneyed:
            key = f"partner/{pid}/tier/{review.id}"
            await webhooks.emit_without_journey(
                session, key, review.program_id, pid, "tier_changed", review.as_of, detail
            )
    return count


def _detail(rid: str, j: Judged) -> dict[str, Any]:
    return {
        "review_id": rid,
        "partner_id": j.partner_id,
        "previous_tier": j.previous,
        "new_tier": j.tier,
        "move": j.move,
        "reasons": list(j.reasons),
    }


async def finish(session: AsyncSession, review_id: str, now: datetime) -> tuple[TierReview, bool]:
    """Mark it done with its counts; False when it was done already."""
    review = await session.get(TierReview, review_id)
    assert review is not None
    first = review.status != "done"
    if first:
        review.partners = (
            await session.scalar(select(func.count()).select_from(Partner).where(Partner.tier_reviewed_in == review_id))
            or 0
        )
        review.movements = (
            await session.scalar(
                select(func.count()).select_from(TierMovement).where(TierMovement.review_id == review_id)
            )
            or 0
        )
        review.status, review.finished_at = "done", now
    return review, first


async def movements(session: AsyncSession, review_id: str) -> list[tuple[TierMovement, str]]:
    """A review's movements with each partner's name, promotions first, then by name."""
    rows = await session.execute(
        select(TierMovement, Partner.name)
        .join(Partner, Partner.id == TierMovement.partner_id)
        .where(TierMovement.review_id == review_id)
        .order_by(TierMovement.new_tier - TierMovement.previous_tier, Partner.name)
    )
    return [(m, name) for m, name in rows]


async def history(session: AsyncSession, partner_id: str) -> list[TierMovement]:
    rows = await session.scalars(
        select(TierMovement).where(TierMovement.partner_id == partner_id).order_by(TierMovement.at, TierMovement.id)
    )
    return list(rows)
