"""GET …/export/*.csv: streamed, never built whole (see api/exports/csv_stream.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from api.cohorts.schemas import PartnerProgress
from api.deps import PMAuth, SessionDep, SessionFactoryDep
from api.errors import documented
from api.exports import progress
from api.exports.csv_stream import csv_response, filename

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
