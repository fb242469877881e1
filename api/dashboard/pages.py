"""The dashboard's pages: Today, cohorts, a cohort's board, a partner's 360, and pausing or resuming a window."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from api.cohorts import control
from api.cohorts import service as cohort_service
from api.cohorts.progress import Summaries, summaries_of
from api.dashboard import board, chart_views, views
from api.dashboard.access import ViewerDep, checked_form, not_found, now, page, redirect, visible_cohort
from api.deps import AfterCommitDep, SessionDep, SettingsDep, TemporalDep, settings_of, signer_of
from api.errors import AppError
from db.repositories.users import visible_programs
from db.views import dashboard, seller

router = APIRouter(include_in_schema=False)
WindowAction = Literal["pause", "resume"]
CONFIRM = {
    "pause": "Reminders and deadlines stop for every partner in this window. Partners can still open their links "
    "and complete steps. When you resume, due dates move by the length of the pause.",
    "resume": "Reminders and deadlines start again. Every due date moves by the length of the pause, and a reminder "
    "that fell due during the pause is sent once.",
}
DONE = {
    "pause": "Pause sent: the window stops its reminders within seconds.",
    "resume": "Resume sent.",
    "gate": "Gate decision sent: the partner's journey takes it within seconds.",
    "created": "Cohort created: its window launches within seconds (or waits for its start).",
    "extend": "New end sent: the window and its journeys take it within seconds.",
    "close": "Close sent: every running journey ends within seconds.",
    "migrate": "Migration sent: each partner switches version at its next stage boundary.",
    "add": "Partners added: their invites go out within seconds.",
    "remove": "Partner removed: its journey ends within seconds.",
    "reschedule": "New start sent: the window waits for it and emails no one before then.",
    "cancel": "Cancel sent: the window ends within seconds; no partner is emailed.",
}
REVIEWED = {
    "approve": "Answer approved: it earns its full readiness points.",
    "send_back": "Sent back: the partner is emailed your comment with a link to revise the answer.",
}


@router.get("/", response_class=HTMLResponse)
async def today(request: Request, session: SessionDep, viewer: ViewerDep) -> HTMLResponse:
    found = await views.today(session, viewer, now())
    programs = await visible_programs(session, viewer)
    return page(
        request, "today.html", entries=found.entries, reviewed_at=found.reviewed_at, programs=programs, active="today"
    )


@router.get("/cohorts", response_class=HTMLResponse)
async def cohorts(request: Request, session: SessionDep, viewer: ViewerDep) -> HTMLResponse:
    rows = await dashboard.cohorts(session, viewer.program_ids)
    return page(request, "cohorts.html", rows=rows, active="cohorts")


@router.get("/cohorts/{cohort_id}", response_class=HTMLResponse)
async def cohort_board(
    cohort_id: str,
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    summaries: Annotated[Summaries, Depends(summaries_of)],
    stage: str = "",
    status: str = "",
    tier: str = "",
    classification: str = "",
    sort: str = "name",
    after: str | None = None,
    before: str | None = None,
    done: str = "",
) -> HTMLResponse:
    await visible_cohort(session, viewer, cohort_id)
    filters = board.Filters(stage=stage, status=status, tier=tier, classification=classification, sort=sort)
    max_age = settings.progress_summary_max_age_seconds
    try:
        shown = await board.board(session, summaries, max_age, cohort_id, filters, after, before)
    except (board.BadFilter, AppError) as exc:
        text = str(exc) if isinstance(exc, board.BadFilter) else exc.message
        return page(request, "message.html", 422, title="The board cannot show this", text=text)
    stage_funnel, step_funnel = chart_views.funnels(shown.summary, shown.stages)
    return page(
        request,
        "board.html",
        active="cohorts",
        board=shown,
        stage_funnel=stage_funnel,
        step_funnel=step_funnel,
        first_deal=await chart_views.first_deal_chart(session, shown.summary),
        filters=filters,
        classifications=board.CLASSIFICATIONS,
        sorts=board.SORTS,
        page_size=board.PAGE,
        done=DONE.get(done, ""),
        # Before its start a window can still be moved or cancelled (api.cohorts.control.reschedule's rule).
        upcoming=shown.cohort.status in ("launching", "scheduled") and shown.cohort.starts_at > now(),
    )


@router.get("/cohorts/{cohort_id}/window/{action}", response_class=HTMLResponse)
async def confirm_window(
    cohort_id: str, action: WindowAction, request: Request, session: SessionDep, viewer: ViewerDep
) -> HTMLResponse:
    await visible_cohort(session, viewer, cohort_id)
    cohort = await cohort_service.get(session, cohort_id)
    # One key per confirmation page: a double-submitted form is one change for the window workflow.
    return page(request, "confirm.html", cohort=cohort, action=action, text=CONFIRM[action], key=str(uuid.uuid4()))


@router.post("/cohorts/{cohort_id}/window/{action}")
async def change_window(
    cohort_id: str,
    action: WindowAction,
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    temporal: TemporalDep,
    queue: AfterCommitDep,
) -> Response:
    form = await checked_form(request)
    await visible_cohort(session, viewer, cohort_id)
    key = str(form.get("key", "")) or None
    try:
        await control.change_window(session, queue, temporal, cohort_id, action, key, None)
    except AppError as exc:
        return page(request, "message.html", exc.status_code, title="The window did not change", text=exc.message)
    return redirect(f"/cohorts/{cohort_id}?done={action}")


@router.get("/partners/{partner_id}", response_class=HTMLResponse)
async def partner_page(partner_id: str, request: Request, session: SessionDep, viewer: ViewerDep) -> HTMLResponse:
    programs = await dashboard.programs_of_partner(session, partner_id)
    if not programs or (viewer.program_ids is not None and not programs & viewer.program_ids):
        raise not_found()
    found = await views.partner(session, partner_id, now(), viewer)
    if found is None:
        raise not_found()
    done = REVIEWED.get(request.query_params.get("done", ""))
    chart = await chart_views.signals_chart(session, partner_id, now(), found.signals) if found.signals else None
    base, signer = settings_of(request).public_base_url.rstrip("/"), signer_of(request)
    sellers = [(s, f"{base}{seller.PATH}/{signer.sign_seller(s.claims)}") for s in found.seller_links]
    return page(request, "partner.html", p=found, done=done, signals_chart=chart, sellers=sellers)
