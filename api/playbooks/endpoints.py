from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from api.deps import PMAuth, SessionDep
from api.errors import NotFound
from db.repositories import playbooks as repo
from playbooks.model import MAX_VERSION

router = APIRouter(prefix="/api/v1/playbooks", tags=["playbooks"], dependencies=[PMAuth])


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


@router.get("/{playbook_id}", response_model=PlaybookDetail)
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


class PreviewDay(BaseModel):
    day: int
    counts: dict[str, int]


class PreviewOutcome(BaseModel):
    partner: str
    status: str
    stage: str
    readiness: int


class PreviewOut(BaseModel):
    playbook: str
    version: int
    partners: int
    days: list[PreviewDay]
    outcomes: list[PreviewOutcome]
    pm_emails: int
    max_history_events_per_run: int
    seconds: float


@router.post("/{playbook_id}/preview", response_model=PreviewOut)
async def preview_playbook(
    playbook_id: str,
    session: SessionDep,
    version: int | None = None,
    partners: Annotated[int, Query(ge=1, le=30)] = 6,
) -> PreviewOut:
    """Dry-run a whole window of this playbook on simulated time with prompt, late and silent partners."""
    from preview import run_preview  # starts a time-skipping server: only loaded when asked for

    row = await repo.get(session, playbook_id, version)
    if row is None:
        raise NotFound(f"playbook {playbook_id!r} not found", {"playbook_id": playbook_id, "version": version})
    report = await run_preview(repo.to_model(row), partners)
    return PreviewOut(
        playbook=row.playbook_id,
        version=row.version,
        partners=partners,
        days=[PreviewDay(day=d, counts=dict(report.days[d])) for d in sorted(report.days)],
        outcomes=[PreviewOutcome(partner=n, status=s, stage=st, readiness=r) for n, s, st, r in report.outcomes],
        pm_emails=report.pm_emails,
        max_history_events_per_run=max(report.run_events.values(), default=0),
        seconds=round(report.seconds, 2),
    )
