"""The ae_intro_request link page: pick overlapping accounts, say why now; once done, what was asked
and where each request stands."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData
from temporalio.client import Client

from api.deps import signer_of
from api.link_pages import csrf
from api.link_pages.pages import busy, render_page
from api.partner_pages import account_upload, service
from api.partner_pages.kind_pages import Redirect
from db.cosell_models import IntroRequest
from db.repositories import intros, journeys
from domain.links import StepClaims
from playbooks.kinds import ae_intro_request as kind
from playbooks.model import StepKind

INTRO_STATUS = {
    "pending": "Goes out in today's digest",
    "sent": "Waiting for the AE",
    "escalated": "Waiting; your program manager is following up",
    "accepted": "Accepted",
    "declined": "Declined",
    "not_now": "Not now",
}


async def _upload_link(request: Request, session: AsyncSession, page: service.StepPage) -> str | None:
    """Where a partner without overlap can upload its list: the journey's own upload step, if it has one."""
    signer = signer_of(request)
    for _, _, step in page.playbook.iter_steps():
        if step.kind == StepKind.account_upload and await journeys.get_step(session, page.journey.id, step.key):
            return "/p/" + signer.sign_step(StepClaims(journey_id=page.journey.id, step_key=step.key))
    return None


async def _requests(session: AsyncSession, page: service.StepPage) -> list[tuple[IntroRequest, str]]:
    return await intros.of_step(session, page.journey.id, page.step.key)


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
        max_accounts=kind.MAX_ACCOUNTS,
        reason_min=kind.REASON_MIN,
    )


async def _status(request: Request, session: AsyncSession, page: service.StepPage, status: int = 200) -> Response:
    return render_page(
        request, "intro_status.html", status, page=page, requests=await _requests(session, page), labels=INTRO_STATUS
    )


async def _checked(
    session: AsyncSession, page: service.StepPage, values: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The journey's validator cannot read the database, so the overlap is checked here (and again when
    the requests are written): an account id from elsewhere is refused, never requested."""
    chosen = values["accounts"]
    overlap = await account_upload.overlap(session, page.partner.id)
    allowed = {row.vendor_account_id for row in overlap if row.owner_ae_id}
    answers, errors = kind.clean(page.step, {"accounts": chosen, "reason": values["reason"]})
    foreign = [a for a in chosen if a not in allowed]
    if foreign:
        errors["accounts"] = "pick accounts from your overlap list" + (
            f" ({len(foreign)} of those are not in it)" if len(foreign) < len(chosen) else ""
        )
    return answers, errors


async def _request(
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
    answers, errors = await _checked(session, page, values)
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
        return await _status(request, session, page, 409)
    return render_page(
        request,
        "message.html",
        410,
        title="This step is closed",
        message=f"“{page.step.title}” closed on its due date. Reply to the email if you still want an introduction.",
    )


async def show(request: Request, session: AsyncSession, page: service.StepPage) -> Response | None:
    if page.state == "open":
        return await _intro_page(request, session, page)
    if page.state == "completed":
        return await _status(request, session, page)
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
    if page.state == "open":
        return await _request(request, session, temporal, claims, page, form, redirect)
    if page.state == "completed":
        return await _status(request, session, page, 409)
    return None


async def done(request: Request, session: AsyncSession, page: service.StepPage, next_up: Any) -> Response | None:
    """The token-free confirmation: what was asked, and where each request stands."""
    requests = await _requests(session, page)
    return render_page(
        request, "intro_done_partner.html", 200, page=page, requests=requests, labels=INTRO_STATUS, next_up=next_up
    )
