from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import PMAuth, SessionDep
from api.errors import NotFound
from db.repositories import playbooks as repo

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
async def get_playbook(playbook_id: str, session: SessionDep, version: int | None = None) -> dict[str, Any]:
    """The modular content (stages, plays, steps) of one version; the latest when none is given."""
    row = await repo.get(session, playbook_id, version)
    if row is None:
        raise NotFound(f"playbook {playbook_id!r} not found", {"playbook_id": playbook_id, "version": version})
    return {**_summary(row), "content": row.content}
