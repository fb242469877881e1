"""A cohort's Experiments page (linked from its board): per playbook experiment and variant, the partners
given it and their co-sell outcomes since, each figure with its counts (db/views/experiments)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.cohorts import service as cohort_service
from api.dashboard.access import ViewerDep, page, visible_cohort
from api.deps import SessionDep
from db.views import experiments

router = APIRouter(include_in_schema=False)


@router.get("/cohorts/{cohort_id}/experiments", response_class=HTMLResponse)
async def experiments_page(cohort_id: str, request: Request, session: SessionDep, viewer: ViewerDep) -> HTMLResponse:
    await visible_cohort(session, viewer, cohort_id)
    cohort = await cohort_service.get(session, cohort_id)
    found = await experiments.cohort_experiments(session, cohort_id)
    return page(request, "experiments.html", active="cohorts", cohort=cohort, experiments=found)
