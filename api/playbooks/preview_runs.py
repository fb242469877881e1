"""The dry run as background work. It starts a time-skipping Temporal server and a worker: seconds to
minutes that must not hold an HTTP request (and issue 13 wants the dashboard to start it). A POST
records a pending run, which starts once that row is committed; a GET answers pending, done with the
report, or failed with the reason. Runs live in the API process that accepted them; the row makes
the answer readable from any replica."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import NotFound
from db.models import PreviewRun
from db.repositories import playbooks as repo
from db.session import SessionFactory, transaction

log = logging.getLogger(__name__)
LOST_AFTER = timedelta(minutes=30)  # far beyond the 90-day, 30-partner run: its API process went away
_RUNNING: set[asyncio.Task[None]] = set()  # the loop keeps only weak references to tasks


class PreviewDay(BaseModel):
    day: int
    counts: dict[str, int]


class PreviewOutcome(BaseModel):
    partner: str
    status: str
    stage: str
    readiness: int
    signals: dict[str, int] = {}  # the four signals and behavior when the window ends
    tier: int | None = None
    classification: str | None = None
    # Which way the partner went at each condition, wait, unlock, parallel step and experiment.
    branches: list[str] = []


class PreviewOut(BaseModel):
    playbook: str
    version: int
    partners: int
    days: list[PreviewDay]
    outcomes: list[PreviewOutcome]
    pm_emails: int
    max_history_events_per_run: int
    seconds: float


class PreviewRunOut(BaseModel):
    id: str
    status: str  # pending | done | failed
    href: str
    playbook: str
    version: int
    partners: int
    created_at: datetime
    finished_at: datetime | None = None
    result: PreviewOut | None = None
    error: str | None = None


def out(run: PreviewRun) -> PreviewRunOut:
    status, error = run.status, run.error or None
    if status == "pending" and datetime.now(UTC) - run.created_at > LOST_AFTER:
        status, error = "failed", "the run was lost (its API process stopped); start it again"
    return PreviewRunOut(
        id=run.id,
        status=status,
        href=f"/api/v1/playbooks/previews/{run.id}",
        playbook=run.playbook_id,
        version=run.version,
        partners=run.partners,
        created_at=run.created_at,
        finished_at=run.finished_at,
        result=PreviewOut.model_validate(run.result) if status == "done" else None,
        error=error,
    )


async def create(session: AsyncSession, playbook_id: str, version: int | None, partners: int) -> PreviewRun:
    row = await repo.get(session, playbook_id, version)
    if row is None:
        raise NotFound(f"playbook {playbook_id!r} not found", {"playbook_id": playbook_id, "version": version})
    run = PreviewRun(
        id=str(uuid.uuid4()), playbook_id=row.playbook_id, version=row.version, partners=partners, status="pending"
    )
    session.add(run)
    await session.flush()
    return run


async def get(session: AsyncSession, run_id: str) -> PreviewRun:
    run = await session.get(PreviewRun, run_id)
    if run is None:
        raise NotFound(f"preview run {run_id} not found", {"id": run_id})
    return run


async def start(sessions: SessionFactory, run_id: str) -> None:
    """Called after commit: the run row exists, so the background task can always record its end."""
    task = asyncio.create_task(_run(sessions, run_id))
    _RUNNING.add(task)
    task.add_done_callback(_RUNNING.discard)


async def _run(sessions: SessionFactory, run_id: str) -> None:
    from preview import run_preview  # the time-skipping server and worker: loaded only when a run starts

    async with transaction(sessions) as session:
        run = await get(session, run_id)
        row = await repo.get(session, run.playbook_id, run.version)
    try:
        assert row is not None
        report = await run_preview(repo.to_model(row), run.partners)
        result: dict[str, Any] = _report(run, report).model_dump(mode="json")
        status, error = "done", ""
    except Exception as exc:  # the PM reads why; the API process carries on
        log.exception("preview run %s failed", run_id)
        result, status, error = {}, "failed", f"{type(exc).__name__}: {exc}"
    async with transaction(sessions) as session:
        stored = await get(session, run_id)
        stored.status, stored.result, stored.error = status, result, error
        stored.finished_at = datetime.now(UTC)


def _outcome(report: Any, name: str, status: str, stage: str, readiness: int) -> PreviewOutcome:
    judged = report.judged.get(name)
    return PreviewOutcome(
        partner=name,
        status=status,
        stage=stage,
        readiness=readiness,
        signals=judged.values if judged else {},
        tier=judged.tier if judged else None,
        classification=judged.classification if judged else None,
        branches=list(report.branches.get(name, [])),
    )


def _report(run: PreviewRun, report: Any) -> PreviewOut:
    return PreviewOut(
        playbook=run.playbook_id,
        version=run.version,
        partners=run.partners,
        days=[PreviewDay(day=d, counts=dict(report.days[d])) for d in sorted(report.days)],
        outcomes=[_outcome(report, *row) for row in report.outcomes],
        pm_emails=report.pm_emails,
        max_history_events_per_run=max(report.run_events.values(), default=0),
        seconds=round(report.seconds, 2),
    )
