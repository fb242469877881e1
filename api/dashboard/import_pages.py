"""The Imports page: upload an AE export, a vendor-account export or a CRM opportunity export and read what
it did (created, updated, unchanged) or every problem with its line and column.

Each upload runs the API's own import (api.accounts.service, api.deals.crm_import), audited with the
signed-in user as actor. A bad file keeps nothing: the account imports write chunk by chunk as the file
streams, so a refused one is rolled back here (access.undone) exactly as the API's error answer rolls
back. AEs and vendor accounts are the vendor's, not a program's (as with API keys, any signed-in user may
import them); opportunities are imported into one of the viewer's programs.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData, UploadFile

from api.accounts import service as accounts
from api.accounts.formats import ExportFormat
from api.dashboard.access import ViewerDep, checked_form, not_found, page, undone
from api.deals import crm_import
from api.deals import service as deals
from api.deps import AfterCommitDep, MailerDep, SessionDep, SettingsDep, TemporalDep
from api.errors import AppError
from db.repositories import programs as program_repo
from db.repositories.users import Viewer, visible_programs

router = APIRouter(include_in_schema=False)
Kind = Literal["account-executives", "vendor-accounts", "deals"]
TITLES = {
    "account-executives": "Account executives",
    "vendor-accounts": "Vendor accounts",
    "deals": "CRM opportunities (co-sell deals)",
}


COUNTS = ("rows", "created", "updated", "unchanged")
NOTES_LIMIT = 200  # skipped rows and warnings each: the page never lists more than a few hundred lines


class Refused(Exception):
    def __init__(self, text: str):
        super().__init__(text)
        self.text = text


async def _page(
    request: Request, session: AsyncSession, viewer: Viewer, status: int = 200, **context: Any
) -> HTMLResponse:
    for name, empty in (("kind", ""), ("result", None), ("error", ""), ("problems", []), ("total", 0)):
        context.setdefault(name, empty)
    if "programs" not in context:
        context["programs"] = await _programs(session, viewer)
    return page(request, "imports.html", status, active="imports", titles=TITLES, **context)


async def _programs(session: AsyncSession, viewer: Viewer) -> list[tuple[str, str]]:
    """(id, name): plain values, still readable after a refused import rolled the transaction back."""
    return [(p.id, p.name) for p in await visible_programs(session, viewer)]


@router.get("/imports", response_class=HTMLResponse)
async def imports_page(request: Request, session: SessionDep, viewer: ViewerDep) -> HTMLResponse:
    return await _page(request, session, viewer)


def _upload(form: FormData) -> tuple[UploadFile, ExportFormat]:
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        raise Refused("file: choose the CSV file to import.")
    try:
        return file, ExportFormat(str(form.get("format") or "auto"))
    except ValueError as exc:
        raise Refused("format: one of auto, salesforce, hubspot.") from exc


async def _run(kind: Kind, form: FormData, session: AsyncSession, viewer: Viewer, deps: tuple[Any, ...]) -> Any:
    """The API's import of this kind; its result as the page shows it (a dict of counts and notes)."""
    file, fmt = _upload(form)
    name = file.filename or ""
    if kind == "account-executives":
        result: Any = await accounts.import_account_executives(session, file.file, fmt, None, filename=name)
        return {k: getattr(result, k) for k in COUNTS}
    if kind == "vendor-accounts":
        result = await accounts.import_vendor_accounts(session, file.file, fmt, None, filename=name)
        return {k: getattr(result, k) for k in COUNTS} | {"overlapping accounts": result.overlapping_accounts}
    queue, mailer, temporal, settings = deps
    program = await program_repo.by_ref(session, str(form.get("program", "")))
    if program is None or not viewer.sees(program.id):
        raise not_found()
    news = deals.News(session, queue, mailer.name)
    found, closed = await crm_import.run(news, file.file, name, program.id, fmt.value, None)
    asked = await deals.ask_for_feedback(queue, temporal, settings, closed)
    counts = {k: getattr(found, k) for k in (*COUNTS, "adopted")}
    notes = [f"line {s.get('line')}: {s.get('reason')}" for s in found.skipped[:NOTES_LIMIT]]
    notes += [f"line {w.get('line')}, {w.get('column')}: {w.get('message')}" for w in found.warnings[:NOTES_LIMIT]]
    return counts | {"skipped (no partner)": len(found.skipped), "AE feedback requested": len(asked), "notes": notes}


def _problems(exc: AppError) -> tuple[list[dict[str, Any]], int]:
    detail = exc.detail if isinstance(exc.detail, dict) else {}
    listed = [p for p in detail.get("problems", []) if isinstance(p, dict)][: accounts.MAX_PROBLEMS_LISTED]
    return listed, int(detail.get("problems_total", len(detail.get("problems", []))))


@router.post("/imports/{kind}", response_class=HTMLResponse)
async def run_import(
    kind: Kind,
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    queue: AfterCommitDep,
    mailer: MailerDep,
    temporal: TemporalDep,
    settings: SettingsDep,
) -> Response:
    form = await checked_form(request)
    programs = await _programs(session, viewer)
    try:
        result = await _run(kind, form, session, viewer, (queue, mailer, temporal, settings))
    except Refused as exc:
        return await _page(request, session, viewer, 422, kind=kind, error=exc.text, programs=programs)
    except AppError as exc:
        await undone(request, session)
        problems, total = _problems(exc)
        return await _page(
            request, session, viewer, exc.status_code, kind=kind, error=exc.message, problems=problems, total=total,
            programs=programs,
        )  # fmt: skip
    return await _page(request, session, viewer, kind=kind, result=result, programs=programs)
