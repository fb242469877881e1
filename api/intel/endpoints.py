"""The PM's view of a partner's intelligence: four signals, behavior, trust, tier, class, next action."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter

from api.deps import IdempotencyKey, PMAuth, SessionDep, TemporalDep
from api.errors import NotFound, documented
from api.fields import Moment
from api.intel import reviews, service
from api.intel.partner360 import partner_360
from api.intel.partner360_schemas import Partner360Out
from api.intel.review_schemas import ReviewIn, ReviewOut
from api.intel.schemas import CohortIntelligenceOut, SignalsOut

router = APIRouter(prefix="/api/v1", tags=["intelligence"], dependencies=[PMAuth], responses=documented(401))


@router.get("/partners/{partner_id}/signals", responses=documented(404, 422))
async def partner_signals(partner_id: str, session: SessionDep, as_of: Moment | None = None) -> SignalsOut:
    """Recomputed from the recorded facts; `as_of` (default now) judges the partner at another moment."""
    moment = (as_of or datetime.now(UTC)).astimezone(UTC)
    found = await service.signals(session, partner_id, moment)
    if found is None:
        raise NotFound("partner not found", {"partner_id": partner_id})
    return found


@router.get("/partners/{partner_id}/360", responses=documented(404, 422))
async def partner_360_view(partner_id: str, session: SessionDep, as_of: Moment | None = None) -> Partner360Out:
    """Everything about one partner: contacts, journeys with timelines, answers, the four signals, behavior
    and trust with their explanations, tier history, deals, intros, AE feedback and the next best action."""
    moment = (as_of or datetime.now(UTC)).astimezone(UTC)
    found = await partner_360(session, partner_id, moment)
    if found is None:
        raise NotFound("partner not found", {"partner_id": partner_id})
    return found


@router.get("/cohorts/{cohort_id}/intelligence", responses=documented(404, 422))
async def cohort_intelligence(
    cohort_id: str, session: SessionDep, as_of: Moment | None = None
) -> CohortIntelligenceOut:
    """Each member's signals, tier, class and next action, and the ranked "act today" list."""
    moment = (as_of or datetime.now(UTC)).astimezone(UTC)
    found = await service.cohort(session, cohort_id, moment)
    if found is None:
        raise NotFound("cohort not found", {"cohort_id": cohort_id})
    return found


# A journey id holds slashes (journey/<cohort>/<partner>): the path converter takes it whole.
@router.post(
    "/partners/{partner_id}/submissions/{journey_id:path}/{step_id}/review", responses=documented(404, 409, 413, 422)
)
async def review_submission(
    partner_id: str,
    journey_id: str,
    step_id: str,
    body: ReviewIn,
    session: SessionDep,
    temporal: TemporalDep,
    key: IdempotencyKey,
) -> ReviewOut:
    """Approve (full points) or grade 0-100 (points x score / 100) the answer of a submitted step: it
    overrides the readiness rules for that answer and the explanation says so. Or send it back with a
    comment: the step reopens in the partner's running journey (due again after its own due days), the
    partner is emailed a fresh link with the comment, and the answer earns nothing until the revision
    replaces it. The latest review wins; a revision reads as not reviewed yet. 422 names the field for an
    unknown or unsubmitted step, a bad score or a send-back without a comment; 409 says why a send-back
    cannot reopen the step (journey closed, step already sent back)."""
    ids = (partner_id, journey_id, step_id)
    out = await reviews.review(session, temporal, ids, body, datetime.now(UTC))
    return await key.answer(out, 200)
