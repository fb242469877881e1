"""The PM approves or grades a partner's submitted answer; audited, and read back as a fact by partner_facts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from api.api_keys import actor_of
from api.cohorts.service import invalid
from api.errors import NotFound
from api.intel.review_schemas import ReviewIn, ReviewOut
from db.models import AuditLog, Journey, Partner
from db.repositories import partner_facts, reviews
from domain.intel.facts import Submission


async def _submission(session: AsyncSession, partner_id: str, journey_id: str, step_key: str) -> Submission:
    journey = await session.get(Journey, journey_id)
    if await session.get(Partner, partner_id) is None or journey is None or journey.partner_id != partner_id:
        raise NotFound(f"partner {partner_id} has no journey {journey_id}")
    facts = await partner_facts.load_one(session, partner_id)
    assert facts is not None  # the partner exists: read above in this transaction
    step = next((s for s in facts.steps if (s.journey_id, s.step_key) == (journey_id, step_key)), None)
    if step is None:
        raise invalid("step_id", f"journey {journey_id} has no step {step_key!r} (not in its playbook or not reached)")
    if step.completed_at is None:
        raise invalid("step_id", f"step {step_key!r} has no submitted answer yet: nothing to review")
    found = next((s for s in facts.submissions if (s.journey_id, s.step_key) == (journey_id, step_key)), None)
    if found is None:
        raise invalid("step_id", f"step {step_key!r} is a {step.kind} step: its answers are not judged or reviewed")
    return found


async def review(
    session: AsyncSession, partner_id: str, journey_id: str, step_key: str, body: ReviewIn, now: datetime
) -> ReviewOut:
    if body.decision == "grade" and body.score is None:
        raise invalid("score", "a grade needs a score from 0 to 100")
    if body.decision == "approve" and body.score is not None:
        raise invalid("score", "only a grade takes a score; an approval earns the full points")
    sub = await _submission(session, partner_id, journey_id, step_key)
    score = body.score
    actor = actor_of(session)
    await reviews.record(
        session, journey_id, step_key, body.decision, score, body.comment, actor, now, sub.submitted_at
    )
    journey = await session.get(Journey, journey_id)
    detail = {"partner_id": partner_id, "journey_id": journey_id, "step_key": step_key, "decision": body.decision}
    session.add(
        AuditLog(
            actor=actor,
            action="submission_reviewed",
            cohort_id=journey.cohort_id if journey else None,
            detail={**detail, "score": score, "comment": body.comment, "submitted_at": sub.submitted_at.isoformat()},
        )
    )
    await session.flush()
    return ReviewOut(
        partner_id=partner_id,
        journey_id=journey_id,
        step_key=step_key,
        state="graded" if score is not None else "approved",
        score=score,
        comment=body.comment,
        reviewed_by=actor,
        reviewed_at=now,
        submitted_at=sub.submitted_at,
    )
