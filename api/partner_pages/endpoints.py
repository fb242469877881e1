"""Partner pages behind signed links. A GET only shows (mail scanners prefetch and even click links);
a CSRF-checked POST completes, then redirects to a token-free confirmation page."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from api.deps import AfterCommitDep, MailerDep, SessionDep, SettingsDep, SignerDep, TemporalDep, signer_of
from api.link_pages import csrf
from api.link_pages.pages import busy, forbidden, not_found, redirect_with_done_cookie, render_page, templates
from api.link_pages.rate_limit import rate_limited
from api.partner_pages import account_upload, service
from api.partner_pages.kind_pages import page_of
from domain.links import DONE_MAX_AGE, LinkExpired, LinkInvalid, LinkSigner, StepClaims, UnsubscribeClaims
from playbooks.kinds import clean_answers, kind_of

router = APIRouter(prefix="/p", tags=["partner pages"], include_in_schema=False, dependencies=[Depends(rate_limited)])
DONE_COOKIE = "cosell_done"


def _expired(request: Request, token: str) -> HTMLResponse:
    return csrf.render_form(request, "expired.html", 410, token=token)


def form_page(
    request: Request,
    page: service.StepPage,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
    submission_id: str | None = None,
    sent_back: service.SentBack | None = None,
    also_open: list[service.AlsoOpen] | None = None,
    revising: bool = False,
) -> HTMLResponse:
    return csrf.render_form(
        request,
        "step.html",
        status,
        page=page,
        values=values,
        errors=errors,
        submission_id=submission_id or str(uuid.uuid4()),
        confirm_label=kind_of(page.step).confirm_label,
        sent_back=sent_back,
        also_open=also_open or [],
        revising=revising,
    )


def _state_page(request: Request, page: service.StepPage, status: int = 200) -> HTMLResponse:
    if page.state == "completed":
        return render_page(request, "already.html", status, page=page)
    if page.step_row.status == "closed":  # a parallel play completed with the steps it needed
        message = f"“{page.step.title}” is no longer needed: “{page.play.title}” is complete without it."
        return render_page(request, "message.html", 410, title="This step is closed", message=message)
    return render_page(
        request,
        "message.html",
        410,
        title="This step is closed",
        message=f"“{page.step.title}” closed on its due date. Your program manager can reopen it "
        "if you still want to complete it — just reply to the email.",
    )


def _revision_closed(request: Request, page: service.StepPage) -> HTMLResponse:
    due = templates.env.filters["local"](page.step_row.due_at, page.partner.timezone)
    message = (
        f"“{page.step.title}” could be revised until its due date, {due}. That date has passed, so the answer "
        "you sent stands. If something must change, reply to the email and your program manager will help."
    )
    return render_page(request, "message.html", 409, title="This step can no longer be revised", message=message)


def _answers(form: FormData, page: service.StepPage) -> dict[str, Any]:
    raw: dict[str, Any] = {key: form.get(key) for key in form if key not in (csrf.CSRF_FIELD, "submission_id")}
    for field in page.step.fields:
        if field.type == "multi_select":
            raw[field.key] = form.getlist(field.key)
    return raw


@router.get("/done", response_class=HTMLResponse)
async def done(request: Request, session: SessionDep, signer: SignerDep) -> Response:
    """The token-free confirmation: what was completed, what comes next and by when."""
    try:
        claims = signer.verify_done(request.cookies.get(DONE_COOKIE, ""))
    except (LinkInvalid, LinkExpired):
        return render_page(
            request,
            "message.html",
            200,
            title="Nothing to show here",
            message="This confirmation is only shown right after you submit a step. "
            "To see a step again, open the link from your email.",
        )
    page = await service.load(session, StepClaims(claims.journey_id, claims.step_key))
    if page is None:
        return not_found(request)
    next_up = await service.next_up(session, page, claims)
    own = page_of(page)
    return (own and await own.done(request, session, page, next_up)) or render_page(
        request, "done.html", 200, page=page, next_up=next_up
    )


@router.get("/unsubscribe/{token}", response_class=HTMLResponse)
async def unsubscribe_page(token: str, request: Request, session: SessionDep, signer: SignerDep) -> HTMLResponse:
    page = await _unsubscribe_target(signer, session, token)
    if page is None:
        return not_found(request)
    return render_page(request, "unsubscribe.html", 200, page=page, done=False)


@router.post("/unsubscribe/{token}", response_class=HTMLResponse)
async def unsubscribe(
    token: str,
    request: Request,
    session: SessionDep,
    signer: SignerDep,
    queue: AfterCommitDep,
    mailer: MailerDep,
    settings: SettingsDep,
) -> HTMLResponse:
    """RFC 8058 one-click: mailbox providers POST here without cookies, so no CSRF token is asked for;
    the signed token is the authority, and the worst a replay can do is stop reminders."""
    page = await _unsubscribe_target(signer, session, token)
    if page is None:
        return not_found(request)
    if alert := await service.unsubscribe(session, page, mailer.name, settings.public_base_url):
        queue.deliver([alert])
    return render_page(request, "unsubscribe.html", 200, page=page, done=True)


async def _unsubscribe_target(signer: LinkSigner, session: Any, token: str) -> service.UnsubscribePage | None:
    try:
        claims = signer.verify_unsubscribe(token)
    except LinkExpired as exc:
        # An old unsubscribe link is still honoured: refusing it would only make people report spam.
        if not isinstance(exc.claims, UnsubscribeClaims):
            return None
        claims = exc.claims
    except LinkInvalid:
        return None
    return await service.unsubscribe_page(session, claims)


@router.get("/{token}", response_class=HTMLResponse)
async def show_step(token: str, request: Request, session: SessionDep, signer: SignerDep) -> Response:
    try:
        claims = signer.verify_step(token)
    except LinkExpired as exc:
        return await _expired_or_state(request, session, token, exc)
    except LinkInvalid:
        return not_found(request)
    page = await service.load(session, claims)
    if page is None:
        return not_found(request)
    await service.record_visit(session, page, request.method, request.headers.get("user-agent"))
    own = page_of(page)
    if own and (answer := await own.show(request, session, page)) is not None:
        return answer
    if page.can_revise:  # the playbook lets the partner revise a done step until its due date
        return form_page(request, page, dict(page.step_row.submission or {}), {}, revising=True)
    if page.state != "open":
        return _state_page(request, page)
    sent = await service.sent_back(session, page)  # a revision starts from the answer sent back
    others = await service.also_open(session, page, signer)
    return form_page(request, page, sent.previous if sent else {}, {}, sent_back=sent, also_open=others)


async def _expired_or_state(request: Request, session: Any, token: str, exc: LinkExpired) -> HTMLResponse:
    """An old link to a finished step still shows the truth; only an open step offers a fresh link."""
    claims = exc.claims
    page = await service.load(session, claims) if isinstance(claims, StepClaims) else None
    if page is None:
        return not_found(request)
    if page.state != "open":
        return _state_page(request, page)
    return _expired(request, token)


@router.post("/{token}", response_class=HTMLResponse)
async def submit_step(
    token: str, request: Request, session: SessionDep, temporal: TemporalDep, settings: SettingsDep, signer: SignerDep
) -> Response:
    if int(request.headers.get("content-length") or 0) > account_upload.MAX_REQUEST_BYTES:
        return render_page(
            request,
            "message.html",
            413,
            title="That file is too large",
            message=f"Files up to {account_upload.MAX_UPLOAD_BYTES // 1024 // 1024} MB are accepted. Please press "
            "back and upload your customers and target accounts only, or split the file.",
        )
    # Larger parts than the default: a checked account list travels back in the confirm form.
    form = await request.form(max_part_size=account_upload.MAX_FORM_PART_BYTES)
    if not csrf.verify(request, str(form.get(csrf.CSRF_FIELD, "")), signer, settings.public_base_url):
        return forbidden(request)
    try:
        claims = signer.verify_step(token)
    except LinkExpired as exc:
        return await _expired_or_state(request, session, token, exc)
    except LinkInvalid:
        return not_found(request)
    page = await service.load(session, claims)
    if page is None:
        return not_found(request)
    own = page_of(page)
    answer = await own.submit(request, session, temporal, claims, page, form, _redirect_to_done) if own else None
    if answer is not None:
        return answer
    revising = page.can_revise
    if page.state == "completed" and page.step.revisable and not revising:
        return _revision_closed(request, page)
    if page.state != "open" and not revising:
        return _state_page(request, page, status=409)
    raw = _answers(form, page)
    submission_id = str(form.get("submission_id") or uuid.uuid4())
    _, errors = clean_answers(page.step, raw)
    sent = await service.sent_back(session, page) if errors else None
    if errors:
        return form_page(
            request, page, raw, errors, status=422, submission_id=submission_id, sent_back=sent, revising=revising
        )
    outcome = await service.submit(temporal, claims, raw, submission_id)
    if outcome.kind == "invalid":
        return form_page(request, page, raw, outcome.errors, 422, submission_id=submission_id, revising=revising)
    if outcome.kind == "closed" and revising:  # the journey's clock passed the due date first
        return _revision_closed(request, page)
    if outcome.kind == "busy":
        return busy(request, "Your answers were not saved yet. Please press back and submit again in a minute.")
    if outcome.kind == "done" and outcome.result is not None:
        return _redirect_to_done(request, claims, outcome.result)
    await session.refresh(page.step_row)
    if outcome.kind == "already" or page.step_row.status == "completed":
        return render_page(request, "already.html", 409, page=page)
    return _state_page(request, page)


def _redirect_to_done(request: Request, claims: StepClaims, receipt: Any) -> Response:
    done = signer_of(request).sign_done(service.done_claims(claims, receipt))
    return redirect_with_done_cookie(request, "/p/done", DONE_COOKIE, done, "/p", DONE_MAX_AGE)


@router.post("/{token}/fresh-link", response_class=HTMLResponse)
async def fresh_link(
    token: str,
    request: Request,
    session: SessionDep,
    queue: AfterCommitDep,
    settings: SettingsDep,
    signer: SignerDep,
    mailer: MailerDep,
) -> Response:
    """An expired link asks for a new one: it goes to the contact the step's emails went to, once a day."""
    form = await request.form()
    if not csrf.verify(request, str(form.get(csrf.CSRF_FIELD, "")), signer, settings.public_base_url):
        return forbidden(request)
    try:
        signer.verify_step(token)
        return RedirectResponse(f"/p/{token}", status_code=303)  # still valid: nothing to resend
    except LinkExpired as exc:
        expired_claims = exc.claims
    except LinkInvalid:
        return not_found(request)
    if not isinstance(expired_claims, StepClaims):
        return not_found(request)
    page = await service.load(session, expired_claims)
    if page is None:
        return not_found(request)
    if page.state != "open":
        return _state_page(request, page)
    sent = await service.fresh_link(session, page, expired_claims, signer, settings.public_base_url, mailer.name)
    if sent is None:
        return render_page(
            request,
            "message.html",
            200,
            title="We couldn't send a new link",
            message="Please reply to the email you received and your program manager will send one.",
        )
    if not sent.already_sent_today:
        queue.deliver([sent.outbox_id])
    return render_page(request, "fresh_sent.html", 200, already=sent.already_sent_today)
