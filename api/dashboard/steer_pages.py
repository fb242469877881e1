"""Steering a window from the dashboard: extend, add or remove partners, migrate, close; before it starts,
reschedule or cancel it.

Each change is a form, then a confirmation page that says what will happen (a CSRF-checked POST that changes
nothing), then the POST that does it through the API's own services (api.cohorts.control), audited as the
signed-in user. A refused change rolls back what it began and shows the form again with the reason.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData
from temporalio.client import Client

from api.after_commit import AfterCommit
from api.cohorts import control
from api.cohorts import service as cohort_service
from api.cohorts.schemas import CohortOut, PartnerIn
from api.dashboard import once, paste, pick
from api.dashboard.access import ViewerDep, checked_form, not_found, page, redirect, undone, visible_cohort
from api.deps import AfterCommitDep, SessionDep, TemporalDep
from api.errors import AppError
from db.models import CohortMember
from db.repositories import partners
from db.repositories import playbooks as playbook_repo
from db.repositories.users import Viewer

router = APIRouter(include_in_schema=False)
Action = Literal["extend", "close", "migrate", "add", "remove", "reschedule", "cancel"]
TITLES = {
    "extend": "Change the end of the window",
    "close": "Close the window",
    "migrate": "Move the window to another playbook version",
    "add": "Add partners to the window",
    "remove": "Remove a partner from the window",
    "reschedule": "Move the window's start",
    "cancel": "Cancel the window",
}
NOTHING_TO_FILL = ("close", "cancel")  # the GET is the confirmation


class Refused(ValueError):
    """Input the confirmation cannot describe: the form again, with this message."""


@dataclass
class Plan:
    text: str
    fields: dict[str, str] = field(default_factory=dict)  # carried to the POST as hidden inputs


def _day(cohort: CohortOut, value: str, name: str = "ends_at") -> datetime:
    """A date from the form, at the time of day the window ends (or starts) today (UTC): it moves whole days."""
    try:
        day = datetime.strptime(value.strip(), "%Y-%m-%d").date()
    except ValueError as exc:
        raise Refused(f"{name}: give the new {name[:-3]} as a date (YYYY-MM-DD)") from exc
    moment = cohort.starts_at if name == "starts_at" else cohort.ends_at
    return datetime.combine(day, moment.astimezone(UTC).timetz())


def _rescheduled(cohort: CohortOut, form: FormData) -> control.Reschedule:
    """The new start; the end only when the form gives one (else the service keeps the window's length)."""
    ends = _text(form, "ends_at").strip()
    return control.Reschedule(
        starts_at=_day(cohort, _text(form, "starts_at"), "starts_at"), ends_at=_day(cohort, ends) if ends else None
    )


def said(exc: AppError) -> str:
    """The service's words; a 422 shaped like a validation error names its field, as the form's own do."""
    first = exc.detail[0] if isinstance(exc.detail, list) and exc.detail else None
    return f"{first['path']}: {first['message']}" if isinstance(first, dict) else exc.message


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%-d %b %Y %H:%M UTC")


async def _versions(session: AsyncSession, cohort: CohortOut) -> list[int]:
    rows = await playbook_repo.list_all(session)
    return [r.version for r in rows if r.playbook_id == cohort.playbook.id and r.version != cohort.playbook.version]


async def _partner_name(session: AsyncSession, cohort_id: str, partner_id: str) -> str:
    """Only a partner of this cohort is named: another program's partner is not there, as for its pages."""
    member = await session.get(CohortMember, (cohort_id, partner_id))
    name = (await partners.names(session, {partner_id})).get(partner_id) if member is not None else None
    if name is None:
        raise not_found()
    return name


def _text(form: FormData, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def _pasted(form: FormData) -> list[PartnerIn]:
    if not _text(form, "partners").strip():
        return []
    try:
        return paste.partners_of(_text(form, "partners"))
    except paste.PasteError as exc:
        raise Refused(f"partners: {exc}") from exc


async def _picked(session: AsyncSession, viewer: Viewer, form: FormData) -> dict[str, str]:
    try:
        return await pick.chosen(session, viewer, form)
    except pick.NotYours as exc:
        raise Refused(f"pick: {exc}") from exc


async def _plan_add(session: AsyncSession, viewer: Viewer, form: FormData) -> Plan:
    found, chosen = _pasted(form), await _picked(session, viewer, form)
    if not found and not chosen:
        raise Refused("partners: paste partners (name,email[,type] a line) or pick them from the directory")
    every = [p.name for p in found] + list(chosen.values())
    names = ", ".join(every[:10]) + (f" and {len(every) - 10} more" if len(every) > 10 else "")
    return Plan(
        f"{len(every)} partners will join the window and get their invite now; each starts the playbook from "
        f"the beginning: {names}. A partner already in the window is left as it is.",
        {"partners": _text(form, "partners"), "picked": ",".join(chosen)},
    )


def _plan_before_start(cohort: CohortOut, action: Action, form: FormData) -> Plan:
    n = cohort.partners
    if action == "cancel":
        return Plan(
            f"The window is cancelled (“the window was cancelled”): none of its {n} partners is emailed, and it "
            "can no longer change or be launched. This cannot be undone; a new cohort starts a new window."
        )
    body = _rescheduled(cohort, form)
    ends_at = body.ends_at or body.starts_at + (cohort.ends_at - cohort.starts_at)
    try:  # the service's own check, so the confirmation never promises what the POST refuses
        cohort_service.check_window(body.starts_at, ends_at, datetime.now(UTC))
    except AppError as exc:
        raise Refused(said(exc)) from exc
    return Plan(
        f"The window will start {_when(body.starts_at)} instead of {_when(cohort.starts_at)} and end "
        f"{_when(ends_at)}. Its {n} partners hear nothing before the new start.",
        {"starts_at": _text(form, "starts_at"), "ends_at": _text(form, "ends_at")},
    )


async def _plan(session: AsyncSession, viewer: Viewer, cohort: CohortOut, action: Action, form: FormData) -> Plan:
    n = cohort.partners
    if action in ("reschedule", "cancel"):
        return _plan_before_start(cohort, action, form)
    if action == "extend":
        ends_at = _day(cohort, _text(form, "ends_at"))
        return Plan(
            f"The window will end {_when(ends_at)} instead of {_when(cohort.ends_at)}. The running journeys of its "
            f"{n} partners take the new end at once; their remaining due dates stay as they are.",
            {"ends_at": _text(form, "ends_at")},
        )
    if action == "close":
        return Plan(
            f"Every running journey of the {n} partners ends now (“the program manager closed the window early”): "
            "no more emails or reminders, and the window can no longer change. This cannot be undone."
        )
    if action == "migrate":
        version = _text(form, "playbook_version")
        if not version.isdigit():
            raise Refused("playbook_version: choose a published version")
        return Plan(
            f"The {n} partners move from playbook {cohort.playbook.id} version {cohort.playbook.version} to version "
            f"{version}, each at its next stage boundary. Partners added from now on start on version {version}.",
            {"playbook_version": version},
        )
    if action == "add":
        return await _plan_add(session, viewer, form)
    partner_id = _text(form, "partner")
    name = await _partner_name(session, cohort.id, partner_id)
    reason = _text(form, "reason").strip()
    if not reason:
        raise Refused("reason: say why the partner leaves; it is kept in the audit log")
    return Plan(
        f"{name} leaves the window now: its journey ends and it gets no more emails from this window. "
        f"The audit log keeps your reason: “{reason}”.",
        {"partner": partner_id, "reason": reason[:500]},
    )


async def _apply(
    session: AsyncSession,
    queue: AfterCommit,
    client: Client,
    viewer: Viewer,
    cohort: CohortOut,
    action: Action,
    form: FormData,
) -> None:
    """Only the API's services change the window; this maps the form onto their arguments."""
    key, cid = _text(form, "key") or None, cohort.id
    if action == "extend":
        await control.change_window(session, queue, client, cid, "extend", key, _day(cohort, _text(form, "ends_at")))
    elif action in ("close", "cancel"):
        await control.change_window(session, queue, client, cid, action, key, None)
    elif action == "reschedule":
        await control.reschedule(session, queue, client, cid, _rescheduled(cohort, form), key)
    elif action == "migrate":
        try:
            body = control.Migrate(playbook_version=int(_text(form, "playbook_version")))
        except (ValueError, ValidationError) as exc:
            raise Refused("playbook_version: choose a published version") from exc
        await control.migrate(session, queue, client, cid, body, key)
    elif action == "add":
        found, chosen = _pasted(form), await _picked(session, viewer, form)
        if not found and not chosen:
            raise Refused("partners: paste partners or pick them from the directory")
        if found:
            await control.add_partners(session, queue, client, cid, control.AddPartners(partners=found), key)
        if chosen:  # its own key: the window takes each change once by key
            await control.add_known_partners(session, queue, client, cid, list(chosen), key and f"{key}:picked")
    else:
        reason = _text(form, "reason").strip()[:500]
        await control.remove_partner(session, queue, client, cid, _text(form, "partner"), key, reason)


async def _form_page(
    request: Request,
    session: AsyncSession,
    cohort: CohortOut,
    action: Action,
    values: dict[str, str],
    error: str = "",
    status: int = 200,
    found: list[tuple[str, str]] | None = None,
) -> HTMLResponse:
    extra: dict[str, object] = {"found": found or []}
    if action == "migrate":
        extra["versions"] = await _versions(session, cohort)
    if action == "remove":
        extra["partner_name"] = await _partner_name(session, cohort.id, values.get("partner", ""))
    return page(
        request,
        "steer.html",
        status,
        active="cohorts",
        cohort=cohort,
        action=action,
        title=TITLES[action],
        stage="form",
        values=values,
        error=error,
        **extra,
    )


@router.get("/cohorts/{cohort_id}/steer/{action}", response_class=HTMLResponse)
async def steer_form(
    cohort_id: str,
    action: Action,
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    partner: str = "",
    q: str = "",
) -> HTMLResponse:
    await visible_cohort(session, viewer, cohort_id)
    cohort = await cohort_service.get(session, cohort_id)
    if action in NOTHING_TO_FILL:
        return _confirm_page(request, cohort, action, await _plan(session, viewer, cohort, action, FormData()))
    found = await pick.search(session, viewer, q) if action == "add" else []
    return await _form_page(request, session, cohort, action, {"partner": partner, "q": q}, found=found)


def _confirm_page(request: Request, cohort: CohortOut, action: Action, plan: Plan) -> HTMLResponse:
    # One key per confirmation page: a double-submitted form is one change for the window workflow.
    return page(
        request,
        "steer.html",
        active="cohorts",
        cohort=cohort,
        action=action,
        title=TITLES[action],
        stage="confirm",
        text=plan.text,
        fields=plan.fields,
        key=str(uuid.uuid4()),
    )


@router.post("/cohorts/{cohort_id}/steer/{action}/confirm", response_class=HTMLResponse)
async def steer_confirm(
    cohort_id: str, action: Action, request: Request, session: SessionDep, viewer: ViewerDep
) -> HTMLResponse:
    form = await checked_form(request)
    await visible_cohort(session, viewer, cohort_id)
    cohort = await cohort_service.get(session, cohort_id)
    values = {k: v for k, v in form.items() if isinstance(v, str) and k not in ("csrf", "key")}
    try:
        plan = await _plan(session, viewer, cohort, action, form)
    except Refused as exc:
        return await _form_page(request, session, cohort, action, values, str(exc), 422)
    return _confirm_page(request, cohort, action, plan)


@router.post("/cohorts/{cohort_id}/steer/{action}")
async def steer(
    cohort_id: str,
    action: Action,
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    temporal: TemporalDep,
    queue: AfterCommitDep,
) -> Response:
    form = await checked_form(request)
    await visible_cohort(session, viewer, cohort_id)
    cohort = await cohort_service.get(session, cohort_id)
    values = {k: v for k, v in form.items() if isinstance(v, str) and k not in ("csrf", "key")}
    location = f"/cohorts/{cohort_id}?done={action}"
    try:
        scope, before = await once.replayed(request, session, viewer, _text(form, "key"))
        if before:
            return redirect(before)
        await _apply(session, queue, temporal, viewer, cohort, action, form)
        await once.keep(session, queue, scope, location)
    except Refused as exc:
        return await _form_page(request, session, cohort, action, values, str(exc), 422)
    except AppError as exc:
        await undone(request, session)
        return await _form_page(request, session, cohort, action, values, said(exc), exc.status_code)
    return redirect(location)
