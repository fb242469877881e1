"""A partner completes a step from its emailed link: the form POST until the page answers (the Update
accepted), and until the completion is visible in the read model the PM's progress reads, p50 and p95,
against a bare Update round trip (a handler that answers at once) on the same dev server in the same run.

    .venv/bin/python -m bench.step_completion [--partners 100] [--db sqlite|postgres]

Worker, API (uvicorn) and client share one process and event loop, as they do in the e2e tests; the
partners complete one after another, so each measures one completion on an otherwise idle window.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import select
from temporalio.client import Client
from temporalio.worker import Worker

from bench.baseline_workflow import BaselineUpdateWorkflow
from bench.progress import _database, _drop
from bench.window_launch import dev_server
from db.migrate import upgrade
from db.models import Journey, JourneyStep
from db.session import SessionFactory, make_engine, make_sessionmaker, transaction
from domain.links import StepClaims
from embedded import publish_shipped
from settings import DEV_API_KEY, Settings
from tests.e2e.test_walking_skeleton import form_fields, free_port, serving
from tests.factories import cohort_body, partner
from wiring import make_signer
from worker import build_worker

ANSWERS = {"industry": "Healthcare", "company_size": "800", "trigger": "Exiting their data centre in 2027"}
PM = {"Authorization": f"Bearer {DEV_API_KEY}"}


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


async def bare_updates(client: Client, count: int) -> list[float]:
    queue = f"baseline-update-{uuid.uuid4()}"
    async with Worker(client, task_queue=queue, workflows=[BaselineUpdateWorkflow]):
        handle = await client.start_workflow(BaselineUpdateWorkflow.run, id=f"{queue}-wf", task_queue=queue)
        await handle.execute_update(BaselineUpdateWorkflow.answer, "warm-up")
        times = []
        for i in range(count):
            started = time.monotonic()
            await handle.execute_update(BaselineUpdateWorkflow.answer, str(i))
            times.append(time.monotonic() - started)
        await handle.signal(BaselineUpdateWorkflow.finish)
        return times


async def _wait_for(sessions: SessionFactory, query, what: str, deadline: float = 300.0):  # type: ignore[no-untyped-def]
    until = time.monotonic() + deadline
    while time.monotonic() < until:
        async with transaction(sessions) as session:
            found = await query(session)
        if found is not None:
            return found
        await asyncio.sleep(0.005)
    raise SystemExit(f"gave up waiting for {what}")


async def completions(base: str, sessions: SessionFactory, settings: Settings, count: int) -> tuple[list, list]:
    async with httpx.AsyncClient(base_url=base, headers=PM, timeout=60) as pm:
        body = cohort_body([partner(f"Bench Partner {i:04d}") for i in range(count)])
        created = await pm.post("/api/v1/cohorts", json=body)
        created.raise_for_status()
    cohort_id = created.json()["id"]

    async def all_invited(session):  # type: ignore[no-untyped-def]
        stmt = select(Journey.id, Journey.current_step).where(Journey.cohort_id == cohort_id)
        rows = (await session.execute(stmt)).all()
        return rows if len(rows) == count and all(step for _, step in rows) else None

    journeys = await _wait_for(sessions, all_invited, f"{count} journeys on their first step")
    signer = make_signer(settings)
    answered, visible = [], []
    async with httpx.AsyncClient(base_url=base, timeout=60, follow_redirects=False) as browser:
        for jid, step_key in journeys:
            link = f"/p/{signer.sign_step(StepClaims(journey_id=jid, step_key=step_key))}"
            hidden = form_fields((await browser.get(link)).text)
            started = time.monotonic()
            response = await browser.post(link, data={**hidden, **ANSWERS})
            answered.append(time.monotonic() - started)
            if response.status_code != 303:
                raise SystemExit(f"{jid}: the POST answered {response.status_code}: {response.text[:300]}")

            async def completed(session, jid=jid, step_key=step_key):  # type: ignore[no-untyped-def]
                row = await session.get(JourneyStep, (jid, step_key))
                return True if row is not None and row.status == "completed" else None

            await _wait_for(sessions, completed, f"{jid} {step_key} completed in the read model")
            visible.append(time.monotonic() - started)
    return answered, visible


async def main(count: int, db: str) -> None:
    env = await dev_server()
    with tempfile.TemporaryDirectory() as tmp:
        url, pg_name = await _database(db, Path(tmp))
        port = free_port()
        settings = Settings(
            environment="test",
            data_dir=Path(tmp),
            database_url=url,
            task_queue=f"bench-{uuid.uuid4()}",
            api_port=port,
            public_base_url=f"http://127.0.0.1:{port}",
            link_rate_limit_per_ip=1_000_000,  # every simulated partner comes from this one address
        )
        engine = make_engine(url)
        try:
            await upgrade(engine)
            sessions = make_sessionmaker(engine)
            await publish_shipped(sessions)
            bare = await bare_updates(env.client, count)
            async with build_worker(env.client, settings, sessions), serving(settings, env) as base:
                answered, visible = await completions(base, sessions, settings, count)
        finally:
            await engine.dispose()
            await env.shutdown()
            if pg_name:
                await _drop(pg_name)
    b95 = _p(bare, 95)
    print(f"{db}: {count} partners complete their first step one after another; dev server, 2 cores")
    print(f"  bare Update round trip (baseline)    p50 {_p(bare, 50) * 1e3:7.1f} ms  p95 {b95 * 1e3:7.1f} ms")
    rows = (("form POST -> page answers (Update)", answered), ("form POST -> visible in progress", visible))
    for name, times in rows:
        p95 = _p(times, 95)
        ratio = p95 / b95
        print(f"  {name:36} p50 {_p(times, 50) * 1e3:7.1f} ms  p95 {p95 * 1e3:7.1f} ms  {ratio:5.1f}x baseline p95")
    print("  goal: p95 <= 3x the bare Update's p95")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=100)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()
    asyncio.run(main(args.partners, args.db))
