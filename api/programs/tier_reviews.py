"""A program's tier reviews: start one now, read one (its movements). The schedule runs them otherwise."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.service import RPCError

from api.api_keys import actor_of
from api.deps import PMAuth, SessionDep, SettingsDep, TemporalDep
from api.errors import NotFound, Unavailable, documented
from db.models import AuditLog
from db.repositories import tier_reviews
from domain.intel.review_period import PERIOD, period_of, review_id
from settings import Settings
from workflows.tier_review.messages import tier_review_workflow_id
from workflows.tier_review.schedule import ensure_review_schedule, start_review

router = APIRouter(prefix="/api/v1/programs", tags=["tier reviews"], dependencies=[PMAuth], responses=documented(401))


class TierReviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: str | None = Field(
        default=None,
        pattern=PERIOD.pattern,
        description="2026-12 (monthly), 2026-W49 (weekly) or 2026-Q4 (quarterly); default: the current period "
        "at the program's cadence. A period already reviewed records nothing again.",
    )


class TierReviewStarted(BaseModel):
    program_id: str
    period: str
    review_id: str
    workflow_id: str
    status: str  # started


class MovementOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    partner_id: str
    previous_tier: int
    new_tier: int
    move: str
    reasons: list[str]
    signals: dict[str, int]
    rubric: str
    at: datetime


class TierReviewOut(BaseModel):
    review_id: str
    program_id: str
    period: str
    status: str  # running | done
    as_of: datetime
    partners: int
    movements: list[MovementOut]


async def start(
    session: AsyncSession, temporal: Client, settings: Settings, program_id: str, period: str | None
) -> TierReviewStarted:
    """Start the program's review for `period` (default: the current one at its cadence), audited; the API's
    POST and the dashboard's button both come here."""
    program = await tier_reviews.program(session, program_id)
    if program is None:
        raise NotFound(f"program {program_id} not found", {"program_id": program_id})
    period = period or period_of(program.tier_review_cadence, datetime.now(UTC))
    try:
        await ensure_review_schedule(temporal, program.id, program.tier_review_cadence, settings.task_queue)
        await start_review(temporal, program.id, period, settings.task_queue)
    except RPCError as exc:
        raise Unavailable("the tier review could not be started; retry", {"reason": str(exc)}) from exc
    detail = {"program_id": program.id, "period": period}
    session.add(AuditLog(actor=actor_of(session), action="tier_review_started", detail=detail))
    return TierReviewStarted(
        program_id=program.id,
        period=period,
        review_id=review_id(program.id, period),
        workflow_id=tier_review_workflow_id(program.id, period),
        status="started",
    )


@router.post("/{program_id}/tier-reviews", status_code=202, responses=documented(404, 413, 422, 503))
async def start_tier_review(
    program_id: str,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    body: TierReviewRequest | None = None,
) -> TierReviewStarted:
    """Review every partner of the program now; read the outcome at GET .../tier-reviews/{period}."""
    return await start(session, temporal, settings, program_id, body.period if body else None)


@router.get("/{program_id}/tier-reviews/{period}", responses=documented(404))
async def get_tier_review(program_id: str, period: str, session: SessionDep) -> TierReviewOut:
    review = await tier_reviews.get_review(session, review_id(program_id, period))
    if review is None:
        raise NotFound("no tier review of this program for this period", {"program_id": program_id, "period": period})
    moves = await tier_reviews.movements(session, review.id)
    return TierReviewOut(
        review_id=review.id,
        program_id=review.program_id,
        period=review.period,
        status=review.status,
        as_of=review.as_of,
        partners=review.partners,
        movements=[MovementOut.model_validate(m) for m, _ in moves],
    )
