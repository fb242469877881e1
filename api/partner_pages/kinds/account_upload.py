"""The account_upload link page: upload -> preview -> confirm -> overlap, and delete.

The API writes the partner's list itself (intake data, like the PM's imports); the step is completed
through the journey's complete_step Update like every other step, so the journey stays the authority
on whether the step is open.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData
from temporalio.client import Client

from api.deps import tell_after_commit
from api.link_pages import csrf
from api.link_pages.pages import busy, render_page
from api.partner_pages import account_upload, service
from api.partner_pages.kind_pages import Redirect
from db.repositories import partner_events
from db.session import transaction
from domain.links import StepClaims
from workflows.journey.messages import StepReceipt


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


async def _delete(request: Request, session: AsyncSession, page: service.StepPage) -> Response:
    async with transaction(request.app.state.sessions) as tx:
        deleted = await account_upload.account_repo.delete_partner_accounts(tx, page.partner.id)
    message = f"Your list of {deleted:,} accounts is deleted, and every match with it." if deleted else ""
    return await _upload_page(request, session, page, message=message or "There was no list to delete.")


async def _confirm(
    request: Request,
    session: AsyncSession,
    temporal: Client,
    claims: StepClaims,
    page: service.StepPage,
    form: FormData,
    redirect: Redirect,
) -> Response:
    checked = account_upload.confirmed(form)
    if checked.error or checked.report is None:
        return await _upload_page(request, session, page, 422, preview=checked)
    accounts = checked.report.accounts
    async with transaction(request.app.state.sessions) as tx:
        overlapping = await account_upload.replace(tx, page.partner.id, accounts)
    await tell_after_commit(temporal, partner_events.pending(tx))  # overlap found: a waiting intro step opens
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


async def show(request: Request, session: AsyncSession, page: service.StepPage) -> Response | None:
    if page.state in ("open", "completed"):
        return await _upload_page(request, session, page)
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
    if page.state not in ("open", "completed"):
        return None
    action = str(form.get("action") or "")
    if action == "delete":
        return await _delete(request, session, page)
    if action == "confirm":
        return await _confirm(request, session, temporal, claims, page, form, redirect)
    checked = await account_upload.preview(form)
    return await _upload_page(request, session, page, 422 if checked.error else 200, preview=checked)


async def done(request: Request, session: AsyncSession, page: service.StepPage, next_up: Any) -> Response | None:
    """The token-free confirmation: the overlap itself."""
    overlap = await account_upload.overlap(session, page.partner.id)
    size = await account_upload.list_size(session, page.partner.id)
    return render_page(request, "upload_done.html", 200, page=page, overlap=overlap, list_size=size, next_up=next_up)
