"""A program's Tiers page: partners by tier and classification (as the last review stored them), the movements
of the latest tier review, and a button that starts a review through the API's own function (audited)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.dashboard import chart_views
from api.dashboard.access import ViewerDep, checked_form, not_found, page, redirect
from api.dashboard.board import CLASSIFICATIONS
from api.deps import SessionDep, SettingsDep, TemporalDep
from api.errors import AppError
from api.programs import tier_reviews as review_api
from db.repositories import tier_reviews
from db.repositories.users import Viewer
from db.views import tiers
from domain.intel.rubric import program_rubric

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 100
MOVEMENTS_LIMIT = 200


async def _program(session: SessionDep, viewer: Viewer, program_id: str):  # type: ignore[no-untyped-def]
    program = await tier_reviews.program(session, program_id)
    if program is None or not viewer.sees(program_id):
        raise not_found()
    return program


@router.get("/programs/{program_id}/tiers", response_class=HTMLResponse)
async def tiers_page(
    program_id: str,
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    tier: str = "",  # the filter form sends "" for any tier
    classification: str = "",
    page_no: int = 1,
    done: str = "",
) -> HTMLResponse:
    program = await _program(session, viewer, program_id)
    page_no = max(page_no, 1)
    # One row more than the page: whether a next page exists, without counting every partner.
    offset, tier_no = (page_no - 1) * PAGE_SIZE, int(tier) if tier in ("1", "2", "3") else None
    rows = await tiers.partners(session, program_id, tier_no, classification, offset, PAGE_SIZE + 1)
    more, rows = len(rows) > PAGE_SIZE, rows[:PAGE_SIZE]
    review = await tiers.latest_review(session, program_id)
    moves = await tiers.movements(session, review.id, MOVEMENTS_LIMIT) if review else []
    mix, rubric = await tiers.tier_mix(session, program_id), program_rubric(program.tier_rubric)
    return page(
        request,
        "tiers.html",
        active="cohorts",
        program=program,
        rubric=rubric,
        classifications=CLASSIFICATIONS,
        classification=classification,
        mix=mix,
        mix_chart=await chart_views.tier_mix_chart(session, program_id, mix, rubric),
        rows=rows,
        tier=tier_no,
        page_no=page_no,
        more=more,
        review=review,
        moves=moves,
        done=done == "review",
    )


@router.post("/programs/{program_id}/tiers/review")
async def start_review(
    program_id: str,
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    temporal: TemporalDep,
    settings: SettingsDep,
) -> Response:
    await checked_form(request)
    await _program(session, viewer, program_id)
    try:
        await review_api.start(session, temporal, settings, program_id, None)
    except AppError as exc:
        return page(request, "message.html", exc.status_code, title="The review did not start", text=exc.message)
    return redirect(f"/programs/{program_id}/tiers?done=review")
