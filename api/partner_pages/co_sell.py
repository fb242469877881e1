"""Link pages of the co-sell step kinds: account_upload (upload -> preview -> confirm -> overlap, delete)
and ae_intro_request (pick overlapping accounts, say why now). The generic step page handles the rest.

The API writes the partner's list itself (intake data, like the PM's imports); the step is completed
through the journey's complete_step Update like every other step, so the journey stays the authority
on whether the step is open.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData
from temporalio.client import Client

from api.pages import busy, render_page
from api.partner_pages import account_upload, csrf, service
from db.models import IntroRequest, VendorAccount
from db.repositories import journeys
from db.session import transaction
from domain.links import LinkSigner, StepClaims
from playbooks.forms import INTRO_REASON_MIN, MAX_INTRO_ACCOUNTS, clean_answers
from workflows.types import StepReceipt

KINDS = ("account_upload", "ae_intro_request")
INTRO_STATUS = {
    "pending": "Goes out in today's digest",
    "sent": "Waiting for the AE",
    "escalated": "Waiting; your program manager is following up",
    "accepted": "Accepted",
    "declined": "Declined",
    "not_now": "Not now",
}
Redirect = Callable[[Request, StepClaims, Any], Response]


def _signer(request: Request) -> LinkSigner:
    return request.app.state.signer


# --- account_upload -----------------------------------------------------------------------------


async def _upload_page(
    request: Request,
    session: AsyncSession,
    page: service.StepPage,
    status: int = 200,
    preview: account_upload.Preview | None = None,
    message: str = "",
) -> HTMLResponse:
    partner_id = page.partner.id
    return csrf.render_form(
        request,
        "upload_step.html",
        status,
        page=page,
        preview=preview,
        overlap=await account_upload.overlap(session, partner_id),
        list_size=await account_upload.list_size(session, partner_id),
        message=message,
        submission_id=str(uuid.uuid4()),
        max_mb=account_upload.MAX_UPLOAD_BYTES // 1024 // 1024,
        shown_accounts=account_upload.SHOWN_ACCOUNTS,
        shown_problems=account_upload.SHOWN_PROBLEMS,
    )


async def _upload_submit(
    request: Request,
    session: AsyncSession,
    temporal: Client,
    claims: StepClaims,
    page: service.StepPage,
    form: FormData,
    redirect: Redirect,
) -> Response:
    action = str(form.get("action") or "")
    sessions = request.app.state.sessions
    if action == "delete":
        async with transaction(sessions) as tx:
            deleted = await account_upload.account_repo.delete_partner_accounts(tx, page.partner.id)
        message = f"Your list of {deleted:,} accounts is deleted, and every match with it." if deleted else ""
        return await _upload_page(request, session, page, message=message or "There was no list to delete.")
    if action == "confirm":
        checked = account_upload.confirmed(form)
    else:
        checked = await account_upload.preview(form)
        return await _upload_page(request, session, page, 422 if checked.error else 200, preview=checked)
    if checked.error or checked.report is None:
        return await _upload_page(request, session, page, 422, preview=checked)
    accounts = checked.report.accounts
    async with transaction(sessions) as tx:
        overlapping = await account_upload.replace(tx, page.partner.id, accounts)
    if page.state != "open":  # a replacement after the step was done: the list changes, the step stays done
        receipt = StepReceipt(
            step_key=claims.step_key,
            completed_at=page.step_row.completed_at or page.step_row.invited_at,
            readiness_score=page.journey.readiness_score,
            next_step=None,
        )
        return redirect(request, claims, receipt)
    answers = {"accounts": len(accounts), "overlapping": overlapping}
    outcome = await service.submit(temporal, claims, answers, str(form.get("submission_id") or uuid.uuid4()))
    if outcome.kind == "done" and outcome.result is not None:
        return redirect(request, claims, outcome.result)
    if outcome.kind == "busy":
        return busy(request, "Your list is saved, but the step is not marked done yet. Confirm again in a minute.")
    # The list is saved either way (the overlap is useful even late); say what happened to the step.
    await session.refresh(page.step_row)
    return await _upload_page(
        request, session, page, 409, message="Your list is saved. This step was already completed or has closed."
    )


# --- ae_intro_request ---------------------------------------------------------------------------


async def _upload_link(request: Request, session: AsyncSession, page: service.StepPage) -> str | None:
    """Where a partner without overlap can upload its list: the journey's own upload step, if it has one."""
    for _, _, step in page.playbook.iter_steps():
        if step.kind == "account_upload" and await journeys.get_step(session, page.journey.id, step.key):
            return "/p/" + _signer(request).sign_step(StepClaims(journey_id=page.journey.id, step_key=step.key))
    return None


async def _requests(session: AsyncSession, page: service.StepPage) -> list[tuple[IntroRequest, str]]:
    rows = await session.execute(
        select(IntroRequest, VendorAccount.name)
        .join(VendorAccount, VendorAccount.id == IntroRequest.vendor_account_id)
        .where(IntroRequest.journey_id == page.journey.id, IntroRequest.step_key == page.step.key)
        .order_by(VendorAccount.name)
    )
    return [(r, n) for r, n in rows]


async def _intro_page(
    request: Request,
    session: AsyncSession,
    page: service.StepPage,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    overlap = await account_upload.overlap(session, page.partner.id)
    return csrf.render_form(
        request,
        "intro_step.html",
        status,
        page=page,
        overlap=overlap,
        upload_link=None if overlap else await _upload_link(request, session, page),
        values=values or {},
        errors=errors or {},
        submission_id=(values or {}).get("submission_id") or str(uuid.uuid4()),
        max_accounts=MAX_INTRO_ACCOUNTS,
        reason_min=INTRO_REASON_MIN,
    )


async def _intro_submit(
    request: Request,
    session: AsyncSession,
    temporal: Client,
    claims: StepClaims,
    page: service.StepPage,
    form: FormData,
    redirect: Redirect,
) -> Response:
    chosen = [str(v) for v in form.getlist("accounts")]
    values = {"accounts": chosen, "reason": str(form.get("reason") or ""), "submission_id": form.get("submission_id")}
    # The journey's validator cannot read the database, so the overlap is checked here (and again when
    # the requests are written): an account id from elsewhere is refused, never requested.
    overlap = await account_upload.overlap(session, page.partner.id)
    allowed = {row.vendor_account_id for row in overlap if row.owner_ae_id}
    answers, errors = clean_answers(page.step, {"accounts": chosen, "reason": values["reason"]})
    foreign = [a for a in chosen if a not in allowed]
    if foreign:
        errors["accounts"] = "pick accounts from your overlap list" + (
            f" ({len(foreign)} of those are not in it)" if len(foreign) < len(chosen) else ""
        )
    if errors:
        return await _intro_page(request, session, page, values, errors, 422)
    submission_id = str(values["submission_id"] or uuid.uuid4())
    outcome = await service.submit(temporal, claims, answers, submission_id)
    if outcome.kind == "done" and outcome.result is not None:
        return redirect(request, claims, outcome.result)
    if outcome.kind == "invalid":
        return await _intro_page(request, session, page, values, outcome.errors, 422)
    if outcome.kind == "busy":
        return busy(request, "Your request was not sent yet. Please press back and submit again in a minute.")
    await session.refresh(page.step_row)
    if page.step_row.status == "completed" or outcome.kind == "already":
        return await _intro_status(request, session, page, 409)
    return render_page(
        request,
        "message.html",
        410,
        title="This step is closed",
        message=f"“{page.step.title}” closed on its due date. Reply to the email if you still want an introduction.",
    )


async def _intro_status(request: Request, session: AsyncSession, page: service.StepPage, status: int = 200) -> Response:
    return render_page(
        request, "intro_status.html", status, page=page, requests=await _requests(session, page), labels=INTRO_STATUS
    )


# --- entry points from endpoints.py ---------------------------------------------------------------


async def show(request: Request, session: AsyncSession, page: service.StepPage) -> Response | None:
    """The GET of a co-sell step, or None to let the generic page answer (closed steps, other kinds)."""
    if page.step.kind == "account_upload" and page.state in ("open", "completed"):
        return await _upload_page(request, session, page)
    if page.step.kind == "ae_intro_request" and page.state == "open":
        return await _intro_page(request, session, page)
    if page.step.kind == "ae_intro_request" and page.state == "completed":
        return await _intro_status(request, session, page)
    return None


async def submit(
    request: Request,
    session: AsyncSession,
    temporal: Client,
    claims: StepClaims,
    page: service.StepPage,
    form: FormData,
    redirect: Redirect,
) -> Response | None:
    if page.step.kind == "account_upload" and page.state in ("open", "completed"):
        return await _upload_submit(request, session, temporal, claims, page, form, redirect)
    if page.step.kind == "ae_intro_request" and page.state == "open":
        return await _intro_submit(request, session, temporal, claims, page, form, redirect)
    if page.step.kind == "ae_intro_request" and page.state == "completed":
        return await _intro_status(request, session, page, 409)
    return None


async def done(request: Request, session: AsyncSession, page: service.StepPage, next_up: Any) -> Response | None:
    """The token-free confirmation: for an upload, the overlap itself; for an intro request, what was asked."""
    if page.step.kind == "account_upload":
        overlap = await account_upload.overlap(session, page.partner.id)
        size = await account_upload.list_size(session, page.partner.id)
        return render_page(
            request, "upload_done.html", 200, page=page, overlap=overlap, list_size=size, next_up=next_up
        )
    if page.step.kind == "ae_intro_request":
        requests = await _requests(session, page)
        return render_page(
            request, "intro_done_partner.html", 200, page=page, requests=requests, labels=INTRO_STATUS, next_up=next_up
        )
    return None
