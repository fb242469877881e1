"""The Playbooks pages: every published version; one read as partners get it (stages, plays, each step's page
and email, rendered by the partner pages' and the mail's own code around a sample partner); two versions
compared by structure (playbooks.diff); and the dry run. Playbooks are shared by every program, so every
signed-in user reads them.

The dry run is the API's background run (api.playbooks.preview_runs, the code of `cosell preview`): the
form's POST records a pending run that starts after commit and redirects to its page, which says
"running" until the run is done and then shows its result table. The page has no script: the PM
reloads it (a link says so)."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.dashboard import playbook_preview as preview
from api.dashboard.access import DASHBOARD_HEADERS, ViewerDep, checked_form, not_found, page, redirect
from api.deps import AfterCommitDep, SessionDep, SessionFactoryDep
from api.errors import NotFound
from api.playbooks import preview_runs
from db.repositories import playbooks as repo
from playbooks.diff import compare
from playbooks.model import MAX_VERSION, Playbook

router = APIRouter(include_in_schema=False)
DRY_RUN_PARTNERS, DRY_RUN_MAX = 3, 12  # prompt, late and silent once each by default; the API allows 30


async def _playbook(session: SessionDep, playbook_id: str, version: int | None) -> Playbook:
    if version is not None and not 1 <= version <= MAX_VERSION:
        raise not_found()
    row = await repo.get(session, playbook_id, version)
    if row is None:
        raise not_found()
    return repo.to_model(row)


@router.get("/playbooks", response_class=HTMLResponse)
async def playbooks(request: Request, session: SessionDep, viewer: ViewerDep) -> HTMLResponse:
    versions: dict[str, list[Playbook]] = {}
    for row in await repo.list_all(session):
        versions.setdefault(row.playbook_id, []).append(repo.to_model(row))
    return page(request, "playbooks.html", active="playbooks", versions=versions)


@router.get("/playbooks/dry-runs/{run_id}", response_class=HTMLResponse)
async def dry_run(run_id: str, request: Request, session: SessionDep, viewer: ViewerDep) -> HTMLResponse:
    try:
        run = preview_runs.out(await preview_runs.get(session, run_id))
    except NotFound:
        raise not_found() from None
    from preview import COLUMNS  # the CLI's table columns; loads the simulation's modules, as a run does

    return page(request, "dry_run.html", active="playbooks", run=run, columns=list(COLUMNS.values()))


@router.get("/playbooks/{playbook_id}/compare", response_class=HTMLResponse)
async def compare_versions(
    playbook_id: str, request: Request, session: SessionDep, viewer: ViewerDep, old: int = 0, new: int = 0
) -> HTMLResponse:
    before, after = await _playbook(session, playbook_id, old), await _playbook(session, playbook_id, new)
    return page(
        request, "playbook_compare.html", active="playbooks", old=before, new=after, changes=compare(before, after)
    )


@router.get("/playbooks/{playbook_id}/v/{version}", response_class=HTMLResponse)
async def read_playbook(
    playbook_id: str, version: int, request: Request, session: SessionDep, viewer: ViewerDep
) -> HTMLResponse:
    playbook = await _playbook(session, playbook_id, version)
    emails = {
        step.key: preview.email(playbook, step.key)
        for _, _, step in playbook.iter_steps()
        if not preview.emails_nobody(playbook, step.key)
    }
    return page(
        request,
        "playbook.html",
        active="playbooks",
        pb=playbook,
        others=[
            r.version for r in await repo.list_all(session) if r.playbook_id == playbook.id and r.version != version
        ],
        emails=emails,
        pins=[play.library for stage in playbook.stages for play in stage.plays if play.library],
        partners=DRY_RUN_PARTNERS,
        most=DRY_RUN_MAX,
    )


async def _step(session: SessionDep, playbook_id: str, version: int, step_key: str) -> Playbook:
    playbook = await _playbook(session, playbook_id, version)
    try:
        playbook.step(step_key)
    except KeyError:
        raise not_found() from None
    if preview.emails_nobody(playbook, step_key):
        raise not_found()  # a wait has no page and sends no email
    return playbook


@router.get("/playbooks/{playbook_id}/v/{version}/steps/{step_key}/page", response_class=HTMLResponse)
async def step_page(
    playbook_id: str, version: int, step_key: str, request: Request, session: SessionDep, viewer: ViewerDep
) -> Response:
    playbook = await _step(session, playbook_id, version, step_key)
    response = await preview.step_page(request, session, playbook, step_key)
    response.headers.update({**DASHBOARD_HEADERS, "Content-Security-Policy": preview.PREVIEW_CSP})
    return response


@router.get("/playbooks/{playbook_id}/v/{version}/steps/{step_key}/email", response_class=HTMLResponse)
async def step_email(
    playbook_id: str, version: int, step_key: str, request: Request, session: SessionDep, viewer: ViewerDep
) -> Response:
    response = preview.email_page(await _step(session, playbook_id, version, step_key), step_key)
    response.headers.update({**DASHBOARD_HEADERS, "Content-Security-Policy": preview.PREVIEW_CSP})
    return response


@router.post("/playbooks/{playbook_id}/v/{version}/dry-run")
async def start_dry_run(
    playbook_id: str,
    version: int,
    request: Request,
    session: SessionDep,
    sessions: SessionFactoryDep,
    queue: AfterCommitDep,
    viewer: ViewerDep,
) -> Response:
    form = await checked_form(request)
    playbook = await _playbook(session, playbook_id, version)
    raw = str(form.get("partners", "")).strip()
    if not raw.isdigit() or not 1 <= int(raw) <= DRY_RUN_MAX:
        text = f"Partners: {raw or 'nothing'} is not a whole number from 1 to {DRY_RUN_MAX}. Go back and change it."
        return page(request, "message.html", 422, title="The dry run did not start", text=text)
    run = await preview_runs.create(session, playbook.id, playbook.version, int(raw))
    queue.run(partial(preview_runs.start, sessions, run.id))
    return redirect(f"/playbooks/dry-runs/{run.id}")
