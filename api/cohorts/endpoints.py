from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api import key_scope
from api.cohorts import control, service
from api.cohorts import experiments as experiment_results
from api.cohorts import progress as progress_service
from api.cohorts.control import Accepted, AddPartners, Extend, Migrate, Reschedule
from api.cohorts.experiments import CohortExperiments
from api.cohorts.schemas import (
    CohortClone,
    CohortCreate,
    CohortFilter,
    CohortList,
    CohortOut,
    CohortProgress,
    CohortRename,
    CohortSummary,
    PartnerPage,
)
from api.deps import AfterCommitDep, IdempotencyKey, KeyProgramsDep, PMAuth, SessionDep, SettingsDep, TemporalDep
from api.errors import documented
from api.fields import NO_NUL
from db.repositories import programs
from db.views.partner_rows import Classification, Filters
from workflows.journey.messages import GateDecision
from workflows.tier_review.schedule import ensure_review_schedule_quietly

router = APIRouter(prefix="/api/v1/cohorts", tags=["cohorts"], dependencies=[PMAuth], responses=documented(401))
# A window change: the cohort (and partner) must exist and still run; the key must not be reused.
CHANGE = documented(404, 409, 422, 503)
CHANGE_WITH_BODY = documented(404, 409, 413, 422, 503)


@router.post("", status_code=201, response_model=CohortOut, responses=documented(404, 413, 422, 503))
async def create_cohort(
    body: CohortCreate,
    session: SessionDep,
    queue: AfterCommitDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    mine: KeyProgramsDep,
) -> CohortOut:
    """Create a cohort of partners on a published playbook and launch its activation window.

    A starts_at in the future schedules the window: it shows as `scheduled` and emails no one before then.
    A manager's key creates cohorts only in the programs they run (a new program takes an admin's key)."""
    await key_scope.check_body_program(session, mine, body.program)
    await key_scope.check_body_partners(session, mine, body.partners)
    if body.starts_at is not None:
        service.check_window(body.starts_at, body.ends_at, datetime.now(UTC))
    cohort = await service.create(session, body)
    queue.run(partial(service.launch, temporal, settings.task_queue, cohort))
    program = await programs.by_name(session, cohort.program)
    if program is not None:  # a new program gets its tier review schedule now, not at the next worker start
        review = (temporal, program.id, program.tier_review_cadence, settings.task_queue)
        queue.run(partial(ensure_review_schedule_quietly, *review))
    return cohort


@router.get("", response_model=CohortList, responses=documented(404, 422))
async def list_cohorts(session: SessionDep, mine: KeyProgramsDep, f: Annotated[CohortFilter, Query()]) -> CohortList:
    """Cohorts of the key's programs, newest window first; filter by program (id or name), status and start date."""
    cohorts = await service.listing(session, f, mine)
    return CohortList(count=len(cohorts), cohorts=cohorts)


@router.post(
    "/{cohort_id}/clone", status_code=201, response_model=CohortOut, responses=documented(404, 409, 413, 422, 503)
)
async def clone_cohort(
    cohort_id: str,
    body: CohortClone,
    session: SessionDep,
    queue: AfterCommitDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    key: IdempotencyKey,
) -> CohortOut:
    """The next window: same program, playbook version and active partners; launched (or scheduled) at once
    unless launch is false."""
    if body.starts_at is not None:
        service.check_window(body.starts_at, body.ends_at, datetime.now(UTC))
    cohort = await service.clone(session, cohort_id, body)
    if body.launch:
        queue.run(partial(service.launch, temporal, settings.task_queue, cohort))
    return await key.answer(cohort, 201)


@router.patch("/{cohort_id}", response_model=CohortOut, responses=documented(404, 409, 413, 422))
async def rename_cohort(cohort_id: str, body: CohortRename, session: SessionDep, key: IdempotencyKey) -> CohortOut:
    """Rename a cohort (audited); its dates move with POST .../reschedule before the start, .../extend after."""
    return await key.answer(await service.rename(session, cohort_id, body), 200)


@router.post("/{cohort_id}/launch", response_model=CohortOut, responses=documented(404, 503))
async def launch_cohort(cohort_id: str, session: SessionDep, temporal: TemporalDep, settings: SettingsDep) -> CohortOut:
    """Launch (or re-launch after a failure) a cohort's window; launching twice is harmless."""
    cohort = await service.get(session, cohort_id)
    await service.launch(temporal, settings.task_queue, cohort)
    return cohort


@router.get("/{cohort_id}", response_model=CohortOut, responses=documented(404))
async def get_cohort(cohort_id: str, session: SessionDep) -> CohortOut:
    return await service.get(session, cohort_id)


@router.get("/{cohort_id}/progress", response_model=CohortProgress, responses=documented(404))
async def cohort_progress(cohort_id: str, session: SessionDep) -> CohortProgress:
    """Where every partner is (stage, step, status, readiness) and how each step is going, in one answer.

    Its size grows with the cohort; large cohorts read `/progress/summary` and page `/partners`."""
    return await progress_service.progress(session, cohort_id)


@router.get("/{cohort_id}/experiments", response_model=CohortExperiments, responses=documented(404))
async def cohort_experiments(cohort_id: str, session: SessionDep) -> CohortExperiments:
    """Per playbook experiment and variant: partners given it and their co-sell outcomes since, each with its
    counts (steps completed on time, intros accepted, deals registered, median days to the first deal)."""
    return await experiment_results.results(session, cohort_id)


@router.get("/{cohort_id}/progress/summary", response_model=CohortSummary, responses=documented(404))
async def cohort_progress_summary(
    cohort_id: str,
    session: SessionDep,
    settings: SettingsDep,
    summaries: Annotated[progress_service.Summaries, Depends(progress_service.summaries_of)],
) -> CohortSummary:
    """How many partners are at each stage, status and tier, how many lag, and how each step is going;
    counts at most `progress_summary_max_age_seconds` old (`as_of` says when they were made)."""
    return await summaries.get(session, cohort_id, settings.progress_summary_max_age_seconds)


@router.get("/{cohort_id}/partners", response_model=PartnerPage, responses=documented(404, 422))
async def cohort_partners(
    cohort_id: str,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=progress_service.MAX_PAGE)] = 100,
    after: Annotated[
        str | None, Query(max_length=1000, pattern=NO_NUL, description="`next` of the previous page")
    ] = None,
    sort: Annotated[progress_service.Sort, Query(description="A column; `-` first for descending")] = "name",
    stage: Annotated[str | None, Query(max_length=20, pattern=NO_NUL)] = None,
    status: Annotated[
        str | None, Query(max_length=20, pattern=NO_NUL, description="A journey status or `not_started`")
    ] = None,
    tier: Annotated[int | None, Query(ge=1, le=3)] = None,
    lagging: bool | None = None,
    classification: Annotated[Classification | None, Query(description="As the last tier review stored it")] = None,
) -> PartnerPage:
    """The cohort's partners, one page at a time (keyset: pass `next` back as `after`), filtered and sorted.

    Sorted by behavior, partners no tier review has scored yet come last."""
    filters = Filters(stage=stage, status=status, tier=tier, lagging=lagging, classification=classification)
    return await progress_service.page(session, cohort_id, filters, sort, after, limit)


@router.post("/{cohort_id}/extend", status_code=202, response_model=Accepted, responses=CHANGE_WITH_BODY)
async def extend_window(
    cohort_id: str, body: Extend, session: SessionDep, temporal: TemporalDep, queue: AfterCommitDep, key: IdempotencyKey
) -> Accepted:
    """Move the window's end (later or earlier); running journeys adopt it at once."""
    return await key.answer(
        await control.change_window(session, queue, temporal, cohort_id, "extend", key.key, body.ends_at), 202
    )


@router.post("/{cohort_id}/reschedule", status_code=202, response_model=Accepted, responses=CHANGE_WITH_BODY)
async def reschedule_window(
    cohort_id: str,
    body: Reschedule,
    session: SessionDep,
    temporal: TemporalDep,
    queue: AfterCommitDep,
    key: IdempotencyKey,
) -> Accepted:
    """Move a scheduled window's start (and end; by default it keeps its length) before it starts."""
    return await key.answer(await control.reschedule(session, queue, temporal, cohort_id, body, key.key), 202)


@router.post("/{cohort_id}/pause", status_code=202, response_model=Accepted, responses=CHANGE)
async def pause_window(
    cohort_id: str, session: SessionDep, temporal: TemporalDep, queue: AfterCommitDep, key: IdempotencyKey
) -> Accepted:
    """Stop all reminders and deadlines; partners can still complete steps."""
    return await key.answer(
        await control.change_window(session, queue, temporal, cohort_id, "pause", key.key, None), 202
    )


@router.post("/{cohort_id}/resume", status_code=202, response_model=Accepted, responses=CHANGE)
async def resume_window(
    cohort_id: str, session: SessionDep, temporal: TemporalDep, queue: AfterCommitDep, key: IdempotencyKey
) -> Accepted:
    """Resume; due dates move by the length of the pause, and a reminder that fell due is sent once."""
    return await key.answer(
        await control.change_window(session, queue, temporal, cohort_id, "resume", key.key, None), 202
    )


@router.post("/{cohort_id}/close", status_code=202, response_model=Accepted, responses=CHANGE)
async def close_window(
    cohort_id: str, session: SessionDep, temporal: TemporalDep, queue: AfterCommitDep, key: IdempotencyKey
) -> Accepted:
    """End the window early: every running journey exits with that reason."""
    return await key.answer(
        await control.change_window(session, queue, temporal, cohort_id, "close", key.key, None), 202
    )


@router.post("/{cohort_id}/cancel", status_code=202, response_model=Accepted, responses=CHANGE)
async def cancel_window(
    cohort_id: str, session: SessionDep, temporal: TemporalDep, queue: AfterCommitDep, key: IdempotencyKey
) -> Accepted:
    """Cancel the window (for a window launched by mistake)."""
    return await key.answer(
        await control.change_window(session, queue, temporal, cohort_id, "cancel", key.key, None), 202
    )


@router.post("/{cohort_id}/partners", status_code=202, response_model=Accepted, responses=CHANGE_WITH_BODY)
async def add_partners(
    cohort_id: str,
    body: AddPartners,
    session: SessionDep,
    temporal: TemporalDep,
    queue: AfterCommitDep,
    key: IdempotencyKey,
    mine: KeyProgramsDep,
) -> Accepted:
    """Add partners mid-window; each starts the playbook from the beginning. A manager's key may not name
    (by external id) a partner only other programs have (422)."""
    await key_scope.check_body_partners(session, mine, body.partners)
    return await key.answer(await control.add_partners(session, queue, temporal, cohort_id, body, key.key), 202)


@router.delete("/{cohort_id}/partners/{partner_id}", status_code=202, response_model=Accepted, responses=CHANGE)
async def remove_partner(
    cohort_id: str,
    partner_id: str,
    session: SessionDep,
    temporal: TemporalDep,
    queue: AfterCommitDep,
    key: IdempotencyKey,
) -> Accepted:
    """Remove a partner; its journey exits and no more emails are sent."""
    return await key.answer(await control.remove_partner(session, queue, temporal, cohort_id, partner_id, key.key), 202)


@router.post(
    "/{cohort_id}/partners/{partner_id}/gate-decision",
    status_code=202,
    response_model=Accepted,
    responses=CHANGE_WITH_BODY,
)
async def gate_decision(
    cohort_id: str,
    partner_id: str,
    body: GateDecision,
    session: SessionDep,
    temporal: TemporalDep,
    queue: AfterCommitDep,
    key: IdempotencyKey,
) -> Accepted:
    """Decide for a partner held at a stage gate: advance anyway, extend the stage, or exit."""
    return await key.answer(
        await control.decide_gate(session, queue, temporal, cohort_id, partner_id, body, key.key), 202
    )


@router.post("/{cohort_id}/migrate", status_code=202, response_model=Accepted, responses=CHANGE_WITH_BODY)
async def migrate_playbook(
    cohort_id: str,
    body: Migrate,
    session: SessionDep,
    temporal: TemporalDep,
    queue: AfterCommitDep,
    key: IdempotencyKey,
) -> Accepted:
    """Move the window to another published version; each partner switches at its next stage boundary."""
    return await key.answer(await control.migrate(session, queue, temporal, cohort_id, body, key.key), 202)
