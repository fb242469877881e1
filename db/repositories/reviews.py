"""The PM's reviews of submitted answers: written by the review endpoint, read as facts (partner_facts)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.intel_models import SubmissionReview
from db.upsert import upsert
from domain.intel.facts import Review

UPDATED = ["decision", "score", "comment", "reviewed_by", "reviewed_at", "submitted_at"]


async def record(
    session: AsyncSession,
    journey_id: str,
    step_key: str,
    decision: str,
    score: int | None,
    comment: str,
    by: str,
    at: datetime,
    submitted_at: datetime,
) -> None:
    """The latest review wins: a PM who approves and later grades the same answer means the grade. A
    send-back starts a new round (sent back now, not revised yet); an approval or grade keeps its dates."""
    values: dict[str, object] = dict(
        journey_id=journey_id,
        step_key=step_key,
        decision=decision,
        score=score,
        comment=comment,
        reviewed_by=by,
        reviewed_at=at,
        submitted_at=submitted_at,
    )
    updated = UPDATED
    if decision == "send_back":
        values |= {"sent_back_at": at, "revised_at": None}
        updated = [*UPDATED, "sent_back_at", "revised_at"]
    await upsert(session, SubmissionReview, values, ["journey_id", "step_key"], updated)


async def revised(session: AsyncSession, journey_id: str, step_key: str, at: datetime) -> None:
    """The partner's revision of a sent-back answer landed (the journey's projection)."""
    await session.execute(
        update(SubmissionReview)
        .where(
            SubmissionReview.journey_id == journey_id,
            SubmissionReview.step_key == step_key,
            SubmissionReview.sent_back_at.is_not(None),
            SubmissionReview.revised_at.is_(None),
        )
        .values(revised_at=at)
    )


def to_review(row: SubmissionReview, completed_at: datetime) -> Review:
    """The review of the answer now on record: a grade is an approval with a score (the domain reads the
    score as the override); a send-back holds until the revision, which reads as not reviewed yet."""
    if row.submitted_at != completed_at:
        return Review(state="pending")
    if row.decision == "send_back":
        return Review(state="sent_back", at=row.reviewed_at, by=row.reviewed_by, comment=row.comment)
    return Review(state="approved", at=row.reviewed_at, by=row.reviewed_by, comment=row.comment, grade=row.score)


async def of_journeys(session: AsyncSession, journey_ids: Sequence[str]) -> dict[tuple[str, str], SubmissionReview]:
    rows = await session.scalars(select(SubmissionReview).where(SubmissionReview.journey_id.in_(list(journey_ids))))
    return {(r.journey_id, r.step_key): r for r in rows}
