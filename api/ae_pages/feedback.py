"""The AE's post-deal feedback form behind a signed link. Same rules as the partner step pages: a GET
only shows (mail scanners prefetch links); a CSRF-checked, same-origin POST records, then redirects to
a token-free thank-you page. Until the form expires a second POST revises the answer."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import SessionDep, SettingsDep, SignerDep, TemporalDep, signer_of
from api.feedback import service
from api.feedback.service import CONTRIBUTION_LABELS, FeedbackPage
from api.link_pages import csrf
from api.link_pages.pages import busy, forbidden, not_found, redirect_with_done_cookie, render_page
from api.link_pages.rate_limit import rate_limited
from domain.links import DONE_MAX_AGE, FeedbackClaims, LinkExpired, LinkInvalid
from domain.trust import COMMENT_MAX

PATH = "/ae/feedback"
router = APIRouter(prefix=PATH, tags=["AE pages"], include_in_schema=False, dependencies=[Depends(rate_limited)])
DONE_COOKIE = "cosell_feedback_done"


def _closed(request: Request, page: FeedbackPage) -> HTMLResponse:
    return render_page(request, "feedback_closed.html", 410, page=page)


def _form(
    request: Request,
    page: FeedbackPage,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
    submission_id: str | None = None,
) -> HTMLResponse:
    return csrf.render_form(
        request,
        "feedback_form.html",
        status,
        PATH,
        page=page,
        values=values,
        errors=errors,
        submission_id=submission_id or str(uuid.uuid4()),
        contributions=CONTRIBUTION_LABELS,
        comment_max=COMMENT_MAX,
    )


async def _page(request: Request, session: Any, token: str) -> FeedbackPage | HTMLResponse:
    """The page the token names, or the answer to give instead (404 for anything we can't vouch for)."""
    try:
        claims = signer_of(request).verify_feedback(token)
    except LinkExpired as exc:
        # A correctly signed but old link: the form is past its expiry too; say so truthfully.
        page = await service.load(session, exc.claims) if isinstance(exc.claims, FeedbackClaims) else None
        return _closed(request, page) if page is not None else not_found(request)
    except LinkInvalid:
        return not_found(request)
    page = await service.load(session, claims)
    return page if page is not None else not_found(request)


@router.get("/done", response_class=HTMLResponse)
async def done(request: Request, session: SessionDep, signer: SignerDep) -> HTMLResponse:
    try:
        claims = signer.verify_feedback_done(request.cookies.get(DONE_COOKIE, ""))
    except (LinkInvalid, LinkExpired):
        claims = None
    page = await service.load(session, claims) if claims is not None else None
    if page is None:
        return render_page(
            request,
            "message.html",
            200,
            title="Nothing to show here",
            message="This confirmation is only shown right after you send feedback. "
            "To see your answers again, open the link from your email.",
        )
    return render_page(request, "feedback_done.html", 200, page=page)


@router.get("/{token}", response_class=HTMLResponse)
async def show(token: str, request: Request, session: SessionDep) -> HTMLResponse:
    page = await _page(request, session, token)
    if isinstance(page, HTMLResponse):
        return page
    if page.closed:
        return _closed(request, page)
    return _form(request, page, page.previous(), {})


@router.post("/{token}", response_class=HTMLResponse)
async def submit(
    token: str, request: Request, session: SessionDep, temporal: TemporalDep, settings: SettingsDep, signer: SignerDep
) -> Response:
    form = await request.form()
    if not csrf.verify(request, str(form.get(csrf.CSRF_FIELD, "")), signer, settings.public_base_url):
        return forbidden(request)
    page = await _page(request, session, token)
    if isinstance(page, HTMLResponse):
        return page
    if page.closed:
        return _closed(request, page)
    parsed = service.parse({k: str(v) for k, v in form.items()})
    submission_id = str(form.get("submission_id") or uuid.uuid4())
    if parsed.answers is None:
        return _form(request, page, parsed.values, parsed.errors, status=422, submission_id=submission_id)
    claims = FeedbackClaims(deal_id=page.row.deal_id, ae_id=page.row.ae_id)
    outcome = await service.submit(temporal, claims, parsed.answers, submission_id)
    if outcome.kind == "invalid":
        return _form(request, page, parsed.values, outcome.errors, status=422, submission_id=submission_id)
    if outcome.kind == "closed":
        return _closed(request, page)
    if outcome.kind == "busy":
        return busy(request, "Your feedback was not saved yet. Please press back and send it again in a minute.")
    done = signer.sign_feedback_done(claims)
    return redirect_with_done_cookie(request, f"{PATH}/done", DONE_COOKIE, done, PATH, DONE_MAX_AGE)
