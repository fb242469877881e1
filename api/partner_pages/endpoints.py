"""Partner step pages behind signed links. GET only shows; POST (CSRF-checked) completes."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.deps import SessionDep, SettingsDep, TemporalDep
from api.pages import render_page
from api.partner_pages import service
from domain.links import LinkExpired, LinkInvalid, StepClaims
from playbooks.forms import clean_answers

router = APIRouter(prefix="/p", tags=["partner pages"], include_in_schema=False)
CSRF_COOKIE = "cosell_csrf"


def _claims(request: Request, token: str) -> StepClaims | HTMLResponse:
    try:
        return request.app.state.signer.verify_step(token)
    except LinkExpired:
        return render_page(
            request,
            "message.html",
            410,
            title="This link has expired",
            message="Links in our emails stay valid for a limited time. Reply to the email and "
            "your program manager will send you a fresh one.",
        )
    except LinkInvalid:
        return _not_found(request)


def _not_found(request: Request) -> HTMLResponse:
    return render_page(
        request,
        "message.html",
        404,
        title="We couldn't find that page",
        message="The link may be incomplete. Please open it again from the email you received.",
    )


def _form_page(
    request: Request,
    page: service.StepPage,
    token: str,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
) -> HTMLResponse:
    csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = render_page(
        request,
        "step.html",
        status,
        page=page,
        token=token,
        values=values,
        errors=errors,
        csrf=csrf,
        submission_id=str(uuid.uuid4()),
    )
    response.set_cookie(
        CSRF_COOKIE, csrf, httponly=True, samesite="strict", path="/p", secure=request.url.scheme == "https"
    )
    return response


def _state_page(request: Request, page: service.StepPage) -> HTMLResponse:
    if page.state == "completed":
        return render_page(request, "already.html", 200, page=page)
    return render_page(
        request,
        "message.html",
        410,
        title="This step is closed",
        message=f"“{page.step.title}” closed on its due date. Your program manager can reopen it "
        "if you still want to complete it — just reply to the email.",
    )


@router.get("/{token}", response_class=HTMLResponse)
async def show_step(token: str, request: Request, session: SessionDep) -> HTMLResponse:
    claims = _claims(request, token)
    if isinstance(claims, HTMLResponse):
        return claims
    page = await service.load(session, claims)
    if page is None:
        return _not_found(request)
    if page.state != "open":
        return _state_page(request, page)
    return _form_page(request, page, token, {}, {})


def _same_origin(request: Request, settings_origin: str) -> bool:
    origin = request.headers.get("origin")
    if request.headers.get("sec-fetch-site") == "cross-site":
        return False
    return origin in (None, "null", settings_origin, f"{request.url.scheme}://{request.url.netloc}")


@router.post("/{token}", response_class=HTMLResponse)
async def submit_step(
    token: str, request: Request, session: SessionDep, temporal: TemporalDep, settings: SettingsDep
) -> HTMLResponse:
    form = await request.form()
    sent_csrf, cookie = str(form.get("csrf", "")), request.cookies.get(CSRF_COOKIE, "")
    base = settings.public_base_url.rstrip("/")
    if not cookie or not secrets.compare_digest(sent_csrf, cookie) or not _same_origin(request, base):
        return render_page(
            request,
            "message.html",
            403,
            title="Please submit the form from its page",
            message="For your security we only accept this form from the page we showed you. "
            "Open the link from your email again and resubmit.",
        )
    claims = _claims(request, token)
    if isinstance(claims, HTMLResponse):
        return claims
    page = await service.load(session, claims)
    if page is None:
        return _not_found(request)
    if page.state == "completed":
        return render_page(request, "already.html", 409, page=page)
    if page.state != "open":
        return _state_page(request, page)
    raw = {key: (form.getlist(key) if len(form.getlist(key)) > 1 else form.get(key)) for key in form}
    for field in page.step.fields:
        if field.type == "multi_select":
            raw[field.key] = form.getlist(field.key)
    _, errors = clean_answers(page.step, raw)
    if errors:
        return _form_page(request, page, token, raw, errors, status=422)
    outcome = await service.submit(temporal, claims, raw, str(form.get("submission_id") or uuid.uuid4()))
    if outcome.kind == "invalid":
        return _form_page(request, page, token, raw, outcome.errors, status=422)
    if outcome.kind == "busy":
        return render_page(
            request,
            "message.html",
            503,
            title="We're a little busy",
            message="Your answers were not saved yet. Please press back and submit again in a minute.",
        )
    if outcome.kind == "completed":
        return render_page(request, "done.html", 200, page=page, receipt=outcome.receipt)
    await session.refresh(page.step_row)
    if outcome.kind == "already" or page.step_row.status == "completed":
        return render_page(request, "already.html", 409, page=page)
    return _state_page(request, page)
