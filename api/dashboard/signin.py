"""Sign in by emailed link, sign out, sign out everywhere."""

from __future__ import annotations

import hashlib
import re

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from api.dashboard import auth
from api.dashboard.access import ViewerDep, checked_form, now, page, redirect, set_session
from api.deps import AfterCommitDep, MailerDep, SessionDep, SettingsDep, SignerDep
from api.link_pages.rate_limit import SlidingWindowLimiter, rate_limited

# The link pages' per-address and per-token limits apply here too (a sign-in link is a link page).
router = APIRouter(include_in_schema=False, dependencies=[Depends(rate_limited)])
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def emails_allowed(request: Request, email: str) -> bool:
    """At most a few sign-in emails per address per window (access.install), so the form cannot flood an inbox."""
    limiter: SlidingWindowLimiter = request.app.state.sign_in_emails
    return limiter.hit(hashlib.sha256(email.strip().lower().encode()).hexdigest()[:24]) is None


@router.get("/signin", response_class=HTMLResponse)
async def sign_in_form(request: Request, next: str = "/") -> HTMLResponse:
    return page(request, "signin.html", next=auth.safe_next(next), error="", email="")


@router.post("/signin", response_class=HTMLResponse)
async def send_link(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    signer: SignerDep,
    mailer: MailerDep,
    queue: AfterCommitDep,
) -> HTMLResponse:
    form = await checked_form(request)
    email, next_path = str(form.get("email", "")).strip(), auth.safe_next(str(form.get("next", "/")))
    if not EMAIL.match(email) or len(email) > 320:
        error = "Enter your work email address, like name@company.com."
        return page(request, "signin.html", 422, next=next_path, error=error, email=email)
    if emails_allowed(request, email):
        outbox_id = await auth.request_link(session, signer, settings, email, next_path, now(), mailer.name)
        if outbox_id:
            queue.deliver([outbox_id])
    # The same answer for a known and an unknown address, and over the limit: the form reveals nothing.
    return page(request, "signin_sent.html", email=email, inbox=settings.dev_tools_enabled)


@router.get("/signin/{token}", response_class=HTMLResponse)
async def confirm_page(token: str, request: Request, session: SessionDep, signer: SignerDep) -> HTMLResponse:
    """Opening the link signs nobody in: mail scanners fetch links, so signing in takes the button (a POST)."""
    try:
        await auth.check_link(session, signer, token, now())
    except auth.LinkRefused as exc:
        return page(request, "signin_refused.html", 410, reason=exc.reason)
    return page(request, "signin_confirm.html", token=token)


@router.post("/signin/{token}")
async def use_link(
    token: str, request: Request, session: SessionDep, signer: SignerDep, settings: SettingsDep
) -> Response:
    await checked_form(request)
    try:
        session_token, next_path = await auth.use_link(session, signer, token, now())
    except auth.LinkRefused as exc:
        return page(request, "signin_refused.html", 410, reason=exc.reason)
    response = redirect(auth.safe_next(next_path))
    set_session(response, settings, session_token)
    return response


@router.post("/signout")
async def sign_out(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    await checked_form(request)
    await auth.sign_out(session, request.cookies.get(auth.SESSION_COOKIE, ""), now())
    response = redirect("/signin")
    response.delete_cookie(auth.SESSION_COOKIE, path="/")
    return response


@router.post("/signout/everywhere")
async def sign_out_everywhere(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    await checked_form(request)
    await auth.sign_out_everywhere(session, viewer.user_id, now())
    response = redirect("/signin")
    response.delete_cookie(auth.SESSION_COOKIE, path="/")
    return response
