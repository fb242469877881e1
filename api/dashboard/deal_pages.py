"""The Deals page: the viewer's deals, filtered, a page at a time (newest first), the open conflicts with a
form to resolve each; and a deal's page offering only the stage moves its stage allows.

Resolving and moving go through the API's own services (api.deals.service.resolve and change, as
`POST /api/v1/deals/{id}/resolve-conflict` and `PATCH /api/v1/deals/{id}` do), audited with the signed-in
user as actor, CSRF-checked, and refused (404) outside the viewer's programs. A refused change keeps
nothing of what it began (access.undone) and says why, in the API's words.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from api.dashboard.access import ViewerDep, checked_form, not_found, page, redirect, undone
from api.deals import service
from api.deals.schemas import DealOut, DealPatch, ResolveConflict
from api.deps import AfterCommitDep, MailerDep, SessionDep, SettingsDep, TemporalDep
from api.errors import AppError
from db.cosell_models import Deal
from db.repositories import deals as repo
from db.repositories import partners
from db.repositories.users import Viewer, visible_programs
from domain.deals import MOVES, Stage

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 100
CONFLICTS_LIMIT = 50
SOURCES = ("partner", "pm", "crm")
STAGES = tuple(s.value for s in Stage)
DONE = {
    "resolved": "Conflict resolved: the deal is kept, the other partners' deals on the account are rejected and "
    "each partner is told why.",
    "kept": "Conflict resolved: every partner's deal on the account is kept.",
    "moved": "Stage changed.",
}


@dataclass(frozen=True)
class DealFilters:
    program: str = ""
    stage: str = ""
    partner: str = ""
    conflict: bool = False
    source: str = ""

    def query(self) -> dict[str, str]:
        """The filters as the next page's link repeats them (only those set)."""
        given = {"program": self.program, "stage": self.stage, "partner": self.partner, "source": self.source}
        return {k: v for k, v in {**given, "conflict": "1" if self.conflict else ""}.items() if v}


async def _visible_deal(session: AsyncSession, viewer: Viewer, deal_id: str) -> Deal:
    deal = await session.get(Deal, deal_id)
    if deal is None or not viewer.sees(deal.program_id):
        raise not_found()
    return deal


def _problems(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'form'}: {e['msg']}" for e in exc.errors())


def _said(exc: AppError) -> str:
    """The API's message, and where a field is named, which field."""
    if isinstance(exc.detail, list):
        return "; ".join(f"{d['path']}: {d['message']}" for d in exc.detail)
    return exc.message


@router.get("/deals", response_class=HTMLResponse)
async def deals_page(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    program: str = "",
    stage: str = "",
    partner: str = "",
    conflict: str = "",
    source: str = "",
    before: str = "",
    done: str = "",
) -> HTMLResponse:
    programs = await visible_programs(session, viewer)
    filters = DealFilters(
        program=program if program in {p.id for p in programs} else "",
        stage=stage if stage in STAGES else "",
        partner=partner.strip()[:36],  # an id (the partner page links here); no match lists nothing
        conflict=bool(conflict),
        source=source if source in SOURCES else "",
    )
    cursor = await session.get(Deal, before) if before else None
    rows = await repo.listing(
        session,
        program_id=filters.program or None,
        partner_id=filters.partner or None,
        conflict="flagged" if filters.conflict else None,
        stage=filters.stage or None,
        limit=PAGE_SIZE + 1,  # one more than the page: whether a next page exists, without counting
        program_ids=viewer.program_ids,
        source=filters.source or None,
        newest_first=True,
        before=cursor if cursor is not None and viewer.sees(cursor.program_id) else None,
    )
    more, rows = len(rows) > PAGE_SIZE, rows[:PAGE_SIZE]
    flagged = await repo.listing(
        session, conflict="flagged", limit=CONFLICTS_LIMIT + 1, program_ids=viewer.program_ids, newest_first=True
    )
    conflicts = await service.outs(session, flagged[:CONFLICTS_LIMIT])
    return page(
        request,
        "deals.html",
        active="deals",
        deals=await service.outs(session, rows),
        more=more,
        filters=filters,
        programs=programs,
        program_names={p.id: p.name for p in programs},
        partner_name=(await partners.names(session, {filters.partner})).get(filters.partner, ""),
        stages=STAGES,
        sources=SOURCES,
        conflicts=conflicts,
        more_conflicts=len(flagged) > CONFLICTS_LIMIT,
        names={d.id: d.partner_name for d in conflicts},
        done=DONE.get(done, ""),
    )


@router.get("/deals/{deal_id}", response_class=HTMLResponse)
async def deal_page(deal_id: str, request: Request, session: SessionDep, viewer: ViewerDep, done: str = "") -> Response:
    deal = await _visible_deal(session, viewer, deal_id)
    out: DealOut = await service.out(session, deal)
    others = await service.outs(session, await repo.conflicting(session, deal)) if deal.conflict == "flagged" else []
    return page(
        request,
        "deal.html",
        active="deals",
        d=out,
        moves=sorted(MOVES[Stage(deal.stage)]),
        names={o.id: o.partner_name for o in others},
        done=DONE.get(done, ""),
    )


@router.post("/deals/{deal_id}/resolve")
async def resolve_conflict(
    deal_id: str, request: Request, session: SessionDep, viewer: ViewerDep, queue: AfterCommitDep, mailer: MailerDep
) -> Response:
    form = await checked_form(request)
    await _visible_deal(session, viewer, deal_id)
    title = "The conflict was not resolved"
    others = {"reject": True, "keep": False}.get(str(form.get("others", "")))
    try:
        body = ResolveConflict.model_validate({"reason": form.get("reason", ""), "reject_others": others})
    except ValidationError as exc:
        return page(request, "message.html", 422, title=title, text=_problems(exc))
    try:
        await service.resolve(service.News(session, queue, mailer.name), deal_id, body)
    except AppError as exc:
        await undone(request, session)
        return page(request, "message.html", exc.status_code, title=title, text=_said(exc))
    return redirect(f"/deals?done={'resolved' if body.reject_others else 'kept'}")


@router.post("/deals/{deal_id}/stage")
async def move_stage(
    deal_id: str,
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    queue: AfterCommitDep,
    mailer: MailerDep,
    temporal: TemporalDep,
    settings: SettingsDep,
) -> Response:
    form = await checked_form(request)
    await _visible_deal(session, viewer, deal_id)
    title = "The deal did not move"
    try:
        body = DealPatch.model_validate({"stage": form.get("stage") or None, "reason": form.get("reason", "")})
    except ValidationError as exc:
        return page(request, "message.html", 422, title=title, text=_problems(exc))
    if body.stage is None:
        return page(request, "message.html", 422, title=title, text="stage: choose the stage to move the deal to.")
    try:
        deal = await service.change(service.News(session, queue, mailer.name), deal_id, body, None)
        # Closing asks the deal's AE for feedback, as the API's PATCH does.
        await service.ask_for_feedback(queue, temporal, settings, [deal])
    except AppError as exc:
        await undone(request, session)
        return page(request, "message.html", exc.status_code, title=title, text=_said(exc))
    return redirect(f"/deals/{deal_id}?done=moved")
