"""Liveness and readiness, the same for the API and the worker.

`/healthz` answers while the process runs and touches nothing (a liveness probe must not restart a
healthy process because the database blinked). `/readyz` answers 200 only when the database is
reachable, its migrations are at the head this build ships, and Temporal answers; otherwise 503 with
each check's result, so a load balancer stops routing to the replica until it recovers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import timedelta
from functools import cache
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from db.migrate import current_revisions, head_revisions

CHECK_TIMEOUT = 3.0  # seconds per check: a probe that hangs is a failed probe

router = APIRouter(tags=["health"])


async def _checked(check: Awaitable[str]) -> str:
    try:
        return await asyncio.wait_for(check, CHECK_TIMEOUT)
    except TimeoutError:
        return f"timed out after {CHECK_TIMEOUT:g} s"
    except Exception as exc:  # noqa: BLE001 - any failure is the answer, reported per check
        return f"{type(exc).__name__}: {exc}"[:300]


@cache
def _heads() -> frozenset[str]:
    return frozenset(head_revisions())


async def _database(engine: AsyncEngine) -> str:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
    return "ok"


async def _migrations(engine: AsyncEngine) -> str:
    current, heads = await current_revisions(engine), sorted(_heads())
    return "ok" if current == _heads() else f"at {sorted(current) or 'no revision'}, this build needs {heads}"


async def _temporal(client: Client) -> str:
    healthy = await client.service_client.check_health(timeout=timedelta(seconds=CHECK_TIMEOUT))
    return "ok" if healthy else "not serving"


async def readiness(engine: AsyncEngine, temporal: Client) -> dict[str, str]:
    """Each check's result: "ok", or why not."""
    database, temporal_state = await asyncio.gather(_checked(_database(engine)), _checked(_temporal(temporal)))
    migrations = await _checked(_migrations(engine)) if database == "ok" else "not checked: no database"
    return {"database": database, "migrations": migrations, "temporal": temporal_state}


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "A dependency is down or migrations are behind"}})
async def readyz(request: Request) -> Any:
    state = request.app.state
    checks = await readiness(state.sessions.kw["bind"], state.temporal)
    ready = all(result == "ok" for result in checks.values())
    return JSONResponse({"status": "ok" if ready else "unavailable", "checks": checks}, 200 if ready else 503)
