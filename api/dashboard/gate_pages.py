"""Deciding a gate hold from the cohort board: advance, extend or exit, after a confirmation page.

The decision goes through the same service as the API's gate-decision call (api.cohorts.control),
audited with the signed-in user as actor, CSRF-checked, and refused (404) outside the viewer's programs.
"""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from api.cohorts import control
from api.dashboard.access import ViewerDep, checked_form, not_found, page, redirect, visible_cohort
from api.deps import AfterCommitDep, SessionDep, TemporalDep
from api.errors import AppError
from db.repositories import journeys, partners
from workflows.journey.messages import GateDecision, journey_id

router = APIRouter(include_in_schema=False)
Decision = Literal["advance", "extend", "exit"]
WHAT = {
    "advance": "{name} moves on to the next stage now, although below the gate's readiness.",
    "extend": "{name} stays in this stage for the days you give below; its open steps are invited again.",
    "exit": "{name}'s journey in this cohort ends: no more emails to this partner from it.",
}


async def _held_partner(session: AsyncSession, cohort_id: str, partner_id: str) -> str | None:
    """The held partner's name, or None when its journey here is not waiting at a gate."""
    journey = await journeys.get_journey(session, journey_id(cohort_id, partner_id))
    if journey is None:
        raise not_found()
    if journey.status != "held":
        return None
    return (await partners.names(session, {partner_id})).get(partner_id, partner_id)


@router.get("/cohorts/{cohort_id}/gate/{partner_id}/{decision}", response_class=HTMLResponse)
async def confirm_gate(
    cohort_id: str, partner_id: str, decision: Decision, request: Request, session: SessionDep, viewer: ViewerDep
) -> HTMLResponse:
    await visible_cohort(session, viewer, cohort_id)
    name = await _held_partner(session, cohort_id, partner_id)
    if name is None:
        return page(request, "message.html", 409, title="Nothing to decide", text="This partner is not held at a gate.")
    text = WHAT[decision].format(name=name)
    return page(
        request,
        "gate_confirm.html",
        active="cohorts",
        cohort_id=cohort_id,
        partner_id=partner_id,
        partner_name=name,
        decision=decision,
        text=text,
        key=str(uuid.uuid4()),  # one key per confirmation page: a double-submitted form decides once
    )


@router.post("/cohorts/{cohort_id}/gate/{partner_id}/{decision}")
async def decide_gate(
    cohort_id: str,
    partner_id: str,
    decision: Decision,
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    temporal: TemporalDep,
    queue: AfterCommitDep,
) -> Response:
    form = await checked_form(request)
    await visible_cohort(session, viewer, cohort_id)
    title = "The gate was not decided"
    try:
        fields = {"decision": decision, "extend_days": form.get("extend_days") or 7, "reason": form.get("reason", "")}
        body = GateDecision.model_validate(fields)
    except ValidationError:
        text = "extend_days: give a whole number of days, 1 to 90."
        return page(request, "message.html", 422, title=title, text=text)
    key = str(form.get("key", "")) or None
    try:
        await control.decide_gate(session, queue, temporal, cohort_id, partner_id, body, key)
    except AppError as exc:
        return page(request, "message.html", exc.status_code, title=title, text=exc.message)
    return redirect(f"/cohorts/{cohort_id}?done=gate")
