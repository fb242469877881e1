"""The PM approves or grades a partner's submitted answer; audited, and read back as a fact by partner_facts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.api_keys import actor_of
from api.cohorts.service import invalid
from api.errors import Conflict, NotFound
from api.intel import send_back
from api.intel.review_schemas import ReviewIn, ReviewOut
from db.models import AuditLog, Journey, Partner
from db.repositories import journeys, partner_facts, reviews
from db.views.journeys import FINAL_STATUSES
from domain.intel.facts import Submission
from workflows.journey.messages import SendBack


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


def _check(body: ReviewIn) -> None:
    if body.decision == "grade" and body.score is None:
        raise invalid("score", "a grade needs a score from 0 to 100")
    if body.decision != "grade" and body.score is not None:
        raise invalid("score", "only a grade takes a score; an approval earns the full points")
    if body.decision == "send_back" and not body.comment.strip():
        raise invalid("comment", "a send-back needs a comment: it is emailed to the partner, say what to change")


async def _reopen(client: Client, session: AsyncSession, sub: Submission, comment: str) -> datetime:
    """Refused before the journey is asked when the read model already knows why; the journey decides."""
    where = {"journey_id": sub.journey_id, "step_id": sub.step_key}
    journey = await session.get(Journey, sub.journey_id)
    if journey is not None and journey.status in FINAL_STATUSES:
        raise Conflict(f"journey {sub.journey_id} is {journey.status}: a closed journey reopens no step", where)
    row = await journeys.get_step(session, sub.journey_id, sub.step_key)
    if row is not None and row.status == "reopened":
        raise Conflict(f"step {sub.step_key!r} was already sent back and waits for the partner's revision", where)
    req = SendBack(step_key=sub.step_key, comment=comment, key=sub.submitted_at.isoformat())
    return (await send_back.reopen(client, sub.journey_id, req)).due_at


async def review(
    session: AsyncSession,
    client: Client,
    ids: tuple[str, str, str],
    body: ReviewIn,
    now: datetime,
) -> ReviewOut:
    """`ids`: partner, journey and step. A send-back reopens the step first: nothing is recorded when the
    journey refuses it, and a retry of the same send-back is answered by the journey without a second email."""
    partner_id, journey_id, step_key = ids
    _check(body)
    sub = await _submission(session, partner_id, journey_id, step_key)
    due = await _reopen(client, session, sub, body.comment) if body.decision == "send_back" else None
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
        state="sent_back" if due else "graded" if score is not None else "approved",
        score=score,
        comment=body.comment,
        reviewed_by=actor,
        reviewed_at=now,
        submitted_at=sub.submitted_at,
        revision_due_at=due,
    )
