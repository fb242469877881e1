"""GET …/export/*.csv: streamed, never built whole (see api/exports/csv_stream.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from api.cohorts.schemas import PartnerProgress
from api.deals.service import program_of
from api.deps import KeyProgramsDep, PMAuth, SessionDep, SessionFactoryDep
from api.errors import NotFound, documented
from api.exports import progress, reports
from api.exports.csv_stream import csv_response, filename
from api.exports.rows import DealRow, FeedbackRow, PartnerSignalsRow, TimelineRow
from api.fields import NO_NUL, Moment
from db.cosell_models import AeFeedback, Deal
from db.models import Cohort, Partner
from domain.deals import Stage

router = APIRouter(prefix="/api/v1", tags=["exports"], dependencies=[PMAuth], responses=documented(401))
CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "UTF-8 CSV with a BOM, streamed"},
    **documented(404),
}


@router.get("/cohorts/{cohort_id}/export/progress.csv", response_class=StreamingResponse, responses=CSV)
async def export_progress(cohort_id: str, session: SessionDep, sessions: SessionFactoryDep) -> StreamingResponse:
    """One row per active partner (stage, step, status, readiness, days behind, lagging), by name; the
    columns and values are those of GET /cohorts/{id}/partners. Cells a spreadsheet would run as a
    formula start with an apostrophe."""
    head, at = await progress.standing_of(session, cohort_id)
    name = filename(head.program, head.cohort.name, "progress")
    return csv_response(name, PartnerProgress, progress.pages(sessions, cohort_id, at))


@router.get("/cohorts/{cohort_id}/export/partners.csv", response_class=StreamingResponse, responses=CSV)
async def export_partner_signals(
    cohort_id: str, session: SessionDep, sessions: SessionFactoryDep, as_of: Moment | None = None
) -> StreamingResponse:
    """The cohort's partners with their four signals, behavior, tier, class and next action, judged at
    `as_of` (default now): GET /cohorts/{id}/intelligence's `partners`, flattened."""
    cohort = await session.get(Cohort, cohort_id)
    if cohort is None:
        raise NotFound(f"cohort {cohort_id} not found")
    moment = (as_of or datetime.now(UTC)).astimezone(UTC)
    pages = reports.partner_signals(sessions, cohort_id, moment)
    return csv_response(filename(cohort.name, "partners"), PartnerSignalsRow, pages)


async def _deal_programs(session: AsyncSession, program: str | None, mine: frozenset[str] | None) -> list[Any]:
    """The `program` filter, and a manager's key's own programs (the key's check refused any other `program`)."""
    where: list[Any] = [Deal.program_id == (await program_of(session, program)).id] if program else []
    return where if mine is None else [*where, Deal.program_id.in_(mine)]


@router.get("/export/deals.csv", response_class=StreamingResponse, responses=CSV)
async def export_deals(
    session: SessionDep,
    sessions: SessionFactoryDep,
    mine: KeyProgramsDep,
    program: str | None = Query(None, pattern=NO_NUL, description="Program id or name"),
    partner: str | None = Query(None, pattern=NO_NUL, description="Partner id"),
    conflict: Literal["flagged", "resolved"] | None = None,
    stage: Stage | None = None,
) -> StreamingResponse:
    """Deals as GET /deals lists them (same filters, registration order, the key's programs) with the
    attribution that counts and everyone's (`said_by: attribution; ...`)."""
    where = await _deal_programs(session, program, mine)
    for column, value in ((Deal.partner_id, partner), (Deal.conflict, conflict), (Deal.stage, stage)):
        if value:
            where.append(column == value)
    return csv_response(filename("deals"), DealRow, reports.deal_rows(sessions, where))


@router.get("/export/feedback.csv", response_class=StreamingResponse, responses=CSV)
async def export_feedback(
    session: SessionDep,
    sessions: SessionFactoryDep,
    mine: KeyProgramsDep,
    program: str | None = Query(None, pattern=NO_NUL, description="Program id or name"),
    partner: str | None = Query(None, pattern=NO_NUL, description="Partner id"),
) -> StreamingResponse:
    """Every AE feedback answer on a deal of the key's programs (oldest first): the deal, partner, AE,
    contribution, scores, would invite again and the comment; the 360's `feedback` items with who and where."""
    where = await _deal_programs(session, program, mine)
    if partner:
        where.append(AeFeedback.partner_id == partner)
    return csv_response(filename("ae-feedback"), FeedbackRow, reports.feedback_rows(sessions, where))


@router.get("/partners/{partner_id}/export/timeline.csv", response_class=StreamingResponse, responses=CSV)
async def export_timeline(partner_id: str, session: SessionDep, sessions: SessionFactoryDep) -> StreamingResponse:
    """Everything that happened to one partner, journey by journey (newest first), each journey's events
    oldest first: the 360's `journeys[].timeline`, one event a row, its data as JSON."""
    found = await session.get(Partner, partner_id)
    if found is None:
        raise NotFound(f"partner {partner_id} not found")
    return csv_response(filename(found.name, "timeline"), TimelineRow, reports.timeline_rows(sessions, partner_id))
