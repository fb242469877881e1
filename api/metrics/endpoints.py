from __future__ import annotations

from fastapi import APIRouter, Query

from api.deps import PMAuth, SessionDep
from api.errors import documented
from api.fields import NO_NUL
from api.metrics import service
from api.metrics.schemas import CohortMetrics, Metrics

router = APIRouter(prefix="/api/v1", tags=["metrics"], dependencies=[PMAuth], responses=documented(401))


@router.get("/partners/{partner_id}/metrics", response_model=Metrics, responses=documented(404, 422))
async def partner_metrics(
    partner_id: str,
    session: SessionDep,
    program: str | None = Query(None, pattern=NO_NUL, description="Program id or name"),
) -> Metrics:
    """A partner's co-sell record: deals by stage, win rate, pipeline, attribution, AE feedback and
    referrals, time to first deal; every count lists the deals it came from."""
    return await service.partner_metrics(session, partner_id, program)


@router.get("/cohorts/{cohort_id}/metrics", response_model=CohortMetrics, responses=documented(404))
async def cohort_metrics(cohort_id: str, session: SessionDep) -> CohortMetrics:
    """The cohort's co-sell record (deals tied to its window) with a line per partner."""
    return await service.cohort_metrics(session, cohort_id)
