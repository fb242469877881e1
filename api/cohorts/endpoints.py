from __future__ import annotations

from fastapi import APIRouter

from api.cohorts import service
from api.cohorts.schemas import CohortCreate, CohortOut, CohortProgress
from api.deps import PMAuth, SessionDep, SettingsDep, TemporalDep

router = APIRouter(prefix="/api/v1/cohorts", tags=["cohorts"], dependencies=[PMAuth])


@router.post("", status_code=201, response_model=CohortOut)
async def create_cohort(
    body: CohortCreate, session: SessionDep, temporal: TemporalDep, settings: SettingsDep
) -> CohortOut:
    """Create a cohort of partners on a published playbook and launch its activation window."""
    cohort = await service.create(session, body)
    await session.commit()
    await service.launch(temporal, settings.task_queue, cohort)
    return cohort


@router.post("/{cohort_id}/launch", response_model=CohortOut)
async def launch_cohort(cohort_id: str, session: SessionDep, temporal: TemporalDep, settings: SettingsDep) -> CohortOut:
    """Launch (or re-launch after a failure) a cohort's window; launching twice is harmless."""
    cohort = await service.get(session, cohort_id)
    await service.launch(temporal, settings.task_queue, cohort)
    return cohort


@router.get("/{cohort_id}", response_model=CohortOut)
async def get_cohort(cohort_id: str, session: SessionDep) -> CohortOut:
    return await service.get(session, cohort_id)


@router.get("/{cohort_id}/progress", response_model=CohortProgress)
async def cohort_progress(cohort_id: str, session: SessionDep) -> CohortProgress:
    """Where every partner is (stage, step, status, readiness) and how each step is going."""
    return await service.progress(session, cohort_id)
