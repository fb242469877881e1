"""Seed a 10,000-partner window, then measure the PM's progress reads against a constant-JSON endpoint
served by the same app, in the same run, on SQLite and on Postgres.

    .venv/bin/python -m bench.progress [--partners 10000] [--db sqlite,postgres] [--seconds 6] [--json out.json]

The window runs the 90-day playbook: ~5% of partners not started yet, the rest a few steps in, each
completed step holding its answers (what the old progress endpoint loaded). Partners and members are
bulk-inserted; every journey and step goes through the projection's repository writes
(db/repositories/journeys), so the read model is what the worker would leave. The API runs in its own
uvicorn process with an extra `GET /bench/constant` (PM auth, a fixed body, no database); the client
keeps `--concurrency` requests in flight for `--seconds` per endpoint and prints req/s, p50/p95 and the
ratio of req/s to the constant endpoint's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from fastapi import FastAPI
from sqlalchemy import insert

from api.app import create_app
from api.cohorts.progress import summary
from api.cohorts.schemas import CohortSummary
from api.deps import PMAuth, SessionDep
from db.migrate import upgrade
from db.models import CohortMember, Partner, PartnerContact
from db.repositories import journeys
from db.session import SessionFactory, make_engine, make_sessionmaker, transaction
from embedded import publish_shipped
from settings import DEV_API_KEY, Settings
from tests.factories import create_cohort, partner
from workflows.journey.messages import journey_id

PLAYBOOK = "cloud-cosell-90d"
T0 = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
PG_ADMIN = os.environ.get("COSELL_BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
CONSTANT = {"status": "ok", "items": [{"id": i, "name": f"row {i}"} for i in range(10)]}
STEPS = [
    ("kickoff-call", "awareness", "kickoff-and-rules"),
    ("rules-of-engagement", "awareness", "kickoff-and-rules"),
    ("icp-profile", "awareness", "icp-and-value-prop"),
    ("value-prop", "awareness", "icp-and-value-prop"),
    ("account-mapping", "activation", "joint-accounts"),
    ("first-intro", "activation", "joint-accounts"),
    ("deal-registration", "acceleration", "first-deal"),
    ("joint-win", "acceleration", "first-deal"),
]


async def _bulk_members(sessions: SessionFactory, cohort_id: str, count: int, rng: random.Random) -> list[str]:
    ids = [str(uuid.uuid4()) for _ in range(count)]
    partners = [
        dict(id=pid, name=f"Partner {rng.randrange(10**6):06d} {i}", type=rng.choice(["ISV", "SI", "MSP"]))
        | dict(tier=rng.choice([1, 2, 2, 3, 3, 3]), verticals=[], region="", timezone="UTC", trust_signals=[])
        | dict(created_at=T0)
        for i, pid in enumerate(ids)
    ]
    async with transaction(sessions) as session:
        for start in range(0, count, 2000):
            chunk = partners[start : start + 2000]
            await session.execute(insert(Partner), chunk)
            await session.execute(
                insert(PartnerContact),
                [
                    dict(partner_id=p["id"], email=f"a@{p['id']}.example", name="A", role="", is_primary=True)
                    for p in chunk
                ],
            )
            await session.execute(
                insert(CohortMember), [dict(cohort_id=cohort_id, partner_id=p["id"], added_at=T0) for p in chunk]
            )
    return ids


async def _journey(session: Any, cohort_id: str, pid: str, rng: random.Random) -> None:
    jid, done = journey_id(cohort_id, pid), rng.randint(0, 6)
    status = rng.choices(["waiting", "stalled", "completed", "exited"], [80, 10, 6, 4])[0]
    key, stage, play = STEPS[done]
    await journeys.save_journey(
        session,
        dict(id=jid, cohort_id=cohort_id, partner_id=pid, stage=stage, current_play=play, current_step=key)
        | dict(status=status, readiness_score=rng.randint(0, 100), started_at=T0, updated_at=T0 + 30 * DAY),
    )
    for n, (key, stage, play) in enumerate(STEPS[: done + 1]):
        invited = T0 + n * 4 * DAY
        step = dict(journey_id=jid, step_key=key, stage=stage, play_key=play, status="invited")
        await journeys.save_step(session, step | dict(invited_at=invited, due_at=invited + 5 * DAY))
        if n < done:
            answers = {"summary": "x" * rng.randint(100, 400), "accounts": [f"acct-{i}" for i in range(5)]}
            at = invited + timedelta(hours=rng.randint(4, 90))
            await journeys.mark_step(session, jid, key, status="completed", completed_at=at, submission=answers)
        elif rng.random() < 0.3:
            await journeys.mark_step(session, jid, key, status="overdue")


async def seed(sessions: SessionFactory, count: int, seed_value: int = 7) -> str:
    """A window of `count` partners on the 90-day playbook; returns the cohort id."""
    rng = random.Random(seed_value)
    cohort = await create_cohort(sessions, [partner("Seed Partner")], starts_at=T0, playbook_id=PLAYBOOK)
    ids = await _bulk_members(sessions, cohort.id, count - 1, rng)
    for start in range(0, len(ids), 500):
        async with transaction(sessions) as session:
            for pid in ids[start : start + 500]:
                if rng.random() >= 0.05:  # the rest have not started yet
                    await _journey(session, cohort.id, pid, rng)
    return cohort.id


def bench_app() -> FastAPI:
    """The API as `cosell up` serves it, plus the constant-JSON baseline route (uvicorn --factory)."""
    settings = Settings(
        environment="test",
        database_url=os.environ["COSELL_BENCH_DB"],
        data_dir=Path("/nonexistent"),
        progress_summary_max_age_seconds=2.0,
    )
    app = create_app(settings, temporal=object())  # type: ignore[arg-type]  # progress reads never call Temporal

    @app.get("/bench/constant", dependencies=[PMAuth])
    async def constant() -> dict[str, Any]:
        return CONSTANT

    @app.get("/bench/summary-counted/{cohort_id}", dependencies=[PMAuth], response_model=CohortSummary)
    async def counted(cohort_id: str, session: SessionDep) -> CohortSummary:
        return await summary(session, cohort_id)  # what the endpoint does when its copy is too old

    return app


async def _measure(client: httpx.AsyncClient, urls: list[str], seconds: float, concurrency: int) -> dict[str, float]:
    """Keep `concurrency` requests in flight for `seconds` (after a one-second warm-up), cycling `urls`."""
    latencies: list[float] = []
    turn = 0

    async def loop(deadline: float, record: bool) -> None:
        nonlocal turn
        while time.perf_counter() < deadline:
            url, turn = urls[turn % len(urls)], turn + 1
            began = time.perf_counter()
            answer = await client.get(url)
            assert answer.status_code == 200, (url, answer.status_code, answer.text[:300])
            if record:
                latencies.append(time.perf_counter() - began)

    warm = time.perf_counter() + 1
    await asyncio.gather(*(loop(warm, False) for _ in range(concurrency)))
    began = time.perf_counter()
    await asyncio.gather(*(loop(began + seconds, True) for _ in range(concurrency)))
    elapsed = time.perf_counter() - began
    cuts = statistics.quantiles(latencies, n=20) if len(latencies) > 1 else latencies * 19
    return {
        "req_per_s": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": cuts[18] * 1000,
        "requests": len(latencies),
    }


async def _page_urls(client: httpx.AsyncClient, base: str, query: str) -> list[str]:
    """Every page of the list (walked once), so the measurement reads pages from all over it."""
    urls, after = [], None
    while True:
        url = f"{base}?{query}" + (f"&after={after}" if after else "")
        urls.append(url)
        after = (await client.get(url)).json()["next"]
        if after is None:
            return urls


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _serve(db_url: str, factory: str = "bench.progress:bench_app") -> tuple[subprocess.Popen[bytes], str]:
    """The bench app (`factory`, uvicorn --factory) in its own process, once it answers."""
    port = _free_port()
    server = subprocess.Popen(  # noqa: ASYNC220  (started once, before anything is measured)
        [sys.executable, "-m", "uvicorn", "--factory", factory, "--port", str(port)]
        + ["--log-level", "warning", "--no-access-log"],
        env={**os.environ, "COSELL_BENCH_DB": db_url},
    )
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient() as probe:
        for _ in range(300):
            try:
                await probe.get(f"{base}/healthz")
                return server, base
            except httpx.TransportError:
                await asyncio.sleep(0.1)
    server.kill()
    raise SystemExit("the bench API did not start within 30 s")


async def _database(kind: str, workdir: Path) -> tuple[str, str | None]:
    if kind == "sqlite":
        return f"sqlite+aiosqlite:///{workdir / 'cosell.db'}", None
    name = f"cosell_bench_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{name}", name


async def _drop(name: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def _endpoints(client: httpx.AsyncClient, cohort: str) -> dict[str, list[str]]:
    rows = f"/api/v1/cohorts/{cohort}/partners"
    return {
        "summary, counted at each request": [f"/bench/summary-counted/{cohort}"],
        "summary as served (counts <= 2 s old)": [f"/api/v1/cohorts/{cohort}/progress/summary"],
        "100-row page, by name": await _page_urls(client, rows, "limit=100"),
        "100-row page, lagging, by last progress": await _page_urls(
            client, rows, "limit=100&lagging=true&sort=last_progress"
        ),
        "whole progress (old shape)": [f"/api/v1/cohorts/{cohort}/progress"],
    }


async def run(kind: str, count: int, seconds: float, concurrency: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        url, pg_name = await _database(kind, Path(tmp))
        engine = make_engine(url)
        try:
            await upgrade(engine)
            sessions = make_sessionmaker(engine)
            await publish_shipped(sessions)
            began = time.perf_counter()
            cohort = await seed(sessions, count)
            seeded = time.perf_counter() - began
            if kind == "postgres":  # what autovacuum's analyze does after a bulk load; plans assume statistics
                async with engine.connect() as conn:
                    await (await conn.execution_options(isolation_level="AUTOCOMMIT")).exec_driver_sql("ANALYZE")
            await engine.dispose()
            server, base = await _serve(url)
            try:
                headers = {"Authorization": f"Bearer {DEV_API_KEY}"}
                async with httpx.AsyncClient(base_url=base, headers=headers, timeout=120) as client:
                    baseline = await _measure(client, ["/bench/constant"], seconds, concurrency)
                    figures = {
                        name: await _measure(client, urls, seconds, concurrency)
                        for name, urls in (await _endpoints(client, cohort)).items()
                    }
                    body = len((await client.get(f"/api/v1/cohorts/{cohort}/progress/summary")).content)
            finally:
                server.terminate()
                server.wait(timeout=30)
        finally:
            await engine.dispose()
            if pg_name:
                await _drop(pg_name)
    return {"db": kind, "partners": count, "seed_s": seeded, "summary_bytes": body, "baseline": baseline} | {
        "figures": figures
    }


def _line(name: str, f: dict[str, float], baseline: dict[str, float] | None) -> str:
    text = f"  {name:<42} {f['req_per_s']:8.1f} req/s  p50 {f['p50_ms']:7.1f} ms  p95 {f['p95_ms']:7.1f} ms"
    return text + (f"  ratio {f['req_per_s'] / baseline['req_per_s']:.3f}x" if baseline else "  (baseline)")


def report(result: dict[str, Any]) -> None:
    print(
        f"{result['db']}: {result['partners']:,} partners, seeded through the repositories in {result['seed_s']:.0f} s"
    )
    print(_line("constant JSON, same app", result["baseline"], None))
    for name, figure in result["figures"].items():
        print(_line(name, figure, result["baseline"]))
    print(f"  summary body: {result['summary_bytes']:,} bytes; goal: ratio >= 0.5x and p95 < 50 ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--partners", type=int, default=10_000)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results = []
    for kind in args.db.split(","):
        results.append(asyncio.run(run(kind, args.partners, args.seconds, args.concurrency)))
        report(results[-1])
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
