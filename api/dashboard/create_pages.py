"""Creating a cohort from the dashboard: a form (program, name, playbook, dates, partners pasted or uploaded),
a confirmation that says who hears when, then the API's own create and launch (scheduled when it starts later).

Only the manager's programs are offered and accepted; the cohort is created by api.cohorts.service exactly as
POST /api/v1/cohorts creates it, and a refused one rolls back and shows the form again with the reason.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from functools import partial

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData, UploadFile

from api.cohorts import service as cohort_service
from api.cohorts.schemas import CohortCreate
from api.dashboard import once, paste
from api.dashboard.access import ViewerDep, checked_form, now, page, redirect, undone
from api.deps import AfterCommitDep, SessionDep, SettingsDep, TemporalDep
from api.errors import AppError
from db.repositories import playbooks as playbook_repo
from db.repositories.users import Viewer, visible_programs

router = APIRouter(include_in_schema=False)
FIELDS = ("program", "name", "playbook", "starts_at", "ends_at", "partners")
MAX_UPLOAD = 2_000_000


class Refused(ValueError):
    """The form again, with this message (naming the field, or the partner line)."""


def _moment(form: dict[str, str], name: str) -> datetime | None:
    """A datetime-local value, read as UTC (the page says so); empty is None."""
    value = form.get(name, "").strip()
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError as exc:
        raise Refused(f"{name}: give a date and time like 2026-12-01T09:00") from exc


async def _values(form: FormData) -> dict[str, str]:
    """The form's fields; an uploaded partner file is read into `partners`, as if pasted."""
    values = {k: v for k, v in form.items() if k in FIELDS and isinstance(v, str)}
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            raise Refused(f"file: at most {MAX_UPLOAD // 1_000_000} MB; split the list")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise Refused("file: not UTF-8 text; save it as CSV (UTF-8)") from exc
        first, _, rest = text.partition("\n")
        header = [c.strip().casefold() for c in first.split(",")]
        values["partners"] = rest if header[:2] == ["name", "email"] else text
    return values


async def _body(session: AsyncSession, viewer: Viewer, values: dict[str, str]) -> CohortCreate:
    """The API's create body from the form; only a program the viewer runs."""
    mine = {p.name for p in await visible_programs(session, viewer)}
    if values.get("program") not in mine:
        raise Refused("program: choose one of your programs")
    playbook_id, _, version = values.get("playbook", "").rpartition("@")
    if not playbook_id or not version.isdigit():
        raise Refused("playbook: choose a published playbook version")
    try:
        found = await paste.partners_in(session, values.get("partners", ""), viewer.program_ids)
    except paste.PasteError as exc:
        raise Refused(f"partners: {exc}") from exc
    starts_at, ends_at = _moment(values, "starts_at"), _moment(values, "ends_at")
    try:
        body = CohortCreate(
            name=values.get("name", ""),
            program=values["program"],
            playbook_id=playbook_id,
            playbook_version=int(version),
            starts_at=starts_at,
            ends_at=ends_at,
            partners=found,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise Refused(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from exc
    if starts_at is not None:
        try:
            cohort_service.check_window(starts_at, ends_at, now())
        except AppError as exc:
            detail = exc.detail[0] if isinstance(exc.detail, list) and exc.detail else {}
            raise Refused(f"{detail.get('path', 'starts_at')}: {detail.get('message', exc.message)}") from exc
    return body


def _what(body: CohortCreate) -> str:
    n, starts = len(body.partners), body.starts_at
    when = (
        f"the window is scheduled: no one is emailed before {starts.strftime('%-d %b %Y %H:%M UTC')}, when the {n} "
        "partners get their invite"
        if starts is not None and starts > now()
        else f"{n} partners will get their invite now"
    )
    end = body.ends_at.strftime("%-d %b %Y %H:%M UTC") if body.ends_at else "after the playbook's length"
    return (
        f"Cohort {body.name} starts in {body.program} on playbook {body.playbook_id} version "
        f"{body.playbook_version}: {when}. The window ends {end}."
    )


async def _form(
    request: Request, session: AsyncSession, viewer: Viewer, values: dict[str, str], error: str = "", status: int = 200
) -> HTMLResponse:
    programs = [p.name for p in await visible_programs(session, viewer) if p.archived_at is None]
    playbooks = [f"{p.playbook_id}@{p.version}" for p in await playbook_repo.list_all(session)]
    return page(
        request,
        "cohort_new.html",
        status,
        active="cohorts",
        stage="form",
        values=values,
        error=error,
        programs=programs,
        playbooks=playbooks,
    )


@router.get("/cohorts/new", response_class=HTMLResponse)
async def new_cohort(request: Request, session: SessionDep, viewer: ViewerDep) -> HTMLResponse:
    return await _form(request, session, viewer, {})


@router.post("/cohorts/new/confirm", response_class=HTMLResponse)
async def confirm_cohort(request: Request, session: SessionDep, viewer: ViewerDep) -> HTMLResponse:
    form = await checked_form(request)
    values = {k: v for k, v in form.items() if k in FIELDS and isinstance(v, str)}
    try:
        values = await _values(form)
        body = await _body(session, viewer, values)
    except Refused as exc:
        return await _form(request, session, viewer, values, str(exc), 422)
    # One key per confirmation page: a double-submitted form creates one cohort.
    return page(
        request,
        "cohort_new.html",
        active="cohorts",
        stage="confirm",
        text=_what(body),
        values=values,
        key=str(uuid.uuid4()),
    )


@router.post("/cohorts/new")
async def create_cohort(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    queue: AfterCommitDep,
) -> Response:
    form = await checked_form(request)
    values = {k: v for k, v in form.items() if k in FIELDS and isinstance(v, str)}
    key = form.get("key", "")
    try:
        scope, before = await once.replayed(request, session, viewer, key if isinstance(key, str) else "")
        if before:
            return redirect(before)
        cohort = await cohort_service.create(session, await _body(session, viewer, values))
        await once.keep(session, queue, scope, f"/cohorts/{cohort.id}?done=created")
    except Refused as exc:
        return await _form(request, session, viewer, values, str(exc), 422)
    except AppError as exc:
        await undone(request, session)
        return await _form(request, session, viewer, values, exc.message, exc.status_code)
    queue.run(partial(cohort_service.launch, temporal, settings.task_queue, cohort))
    return redirect(f"/cohorts/{cohort.id}?done=created")
