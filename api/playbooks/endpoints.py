from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from api.deps import AfterCommitDep, PMAuth, SessionDep, SessionFactoryDep
from api.errors import NotFound, documented
from api.playbooks import preview_runs
from api.playbooks.preview_runs import PreviewRunOut
from db.repositories import playbooks as repo
from playbooks.model import MAX_VERSION

router = APIRouter(prefix="/api/v1/playbooks", tags=["playbooks"], dependencies=[PMAuth], responses=documented(401))


class PlaybookSummary(BaseModel):
    id: str
    version: int
    sha256: str
    title: str
    total_days: int
    stages: list[str]
    steps: int


class PlaybookDetail(PlaybookSummary):
    content: dict[str, Any]


def _summary(row: repo.PlaybookSnapshot) -> dict[str, Any]:
    playbook = repo.to_model(row)
    return dict(
        id=row.playbook_id,
        version=row.version,
        sha256=row.sha256,
        title=row.title,
        total_days=playbook.total_days,
        stages=[s.key.value for s in playbook.stages],
        steps=len(playbook.iter_steps()),
    )


@router.get("", response_model=list[PlaybookSummary])
async def list_playbooks(session: SessionDep) -> list[dict[str, Any]]:
    """Every published playbook version."""
    return [_summary(row) for row in await repo.list_all(session)]


@router.get("/{playbook_id}", response_model=PlaybookDetail, responses=documented(404, 422))
async def get_playbook(
    playbook_id: str,
    session: SessionDep,
    version: Annotated[int | None, Query(ge=1, le=MAX_VERSION, description="a published version")] = None,
) -> dict[str, Any]:
    """The modular content (stages, plays, steps) of one version; the latest when none is given."""
    row = await repo.get(session, playbook_id, version)
    if row is None:
        raise NotFound(f"playbook {playbook_id!r} not found", {"playbook_id": playbook_id, "version": version})
    return {**_summary(row), "content": row.content}


@router.post(
    "/{playbook_id}/preview",
    status_code=202,
    response_model=PreviewRunOut,
    responses=documented(404, 422),
)
async def preview_playbook(
    playbook_id: str,
    response: Response,
    session: SessionDep,
    sessions: SessionFactoryDep,
    queue: AfterCommitDep,
    version: Annotated[int | None, Query(ge=1, le=MAX_VERSION)] = None,
    partners: Annotated[int, Query(ge=1, le=30)] = 6,
) -> PreviewRunOut:
    """Start a dry run of a whole window of this playbook on simulated time with prompt, late and silent
    partners. Answers 202 with where to read it: GET the `href` until `status` is done or failed."""
    run = await preview_runs.create(session, playbook_id, version, partners)
    queue.run(partial(preview_runs.start, sessions, run.id))
    answer = preview_runs.out(run)
    response.headers["Location"] = answer.href
    return answer


@router.get("/previews/{run_id}", response_model=PreviewRunOut, responses=documented(404))
async def preview_run(run_id: str, session: SessionDep) -> PreviewRunOut:
    """A dry run started by POST .../preview: pending, done with the report, or failed with the reason."""
    return preview_runs.out(await preview_runs.get(session, run_id))
