"""Seed a 10,000-partner window, then time the dashboard's cohort board, partner page and Today, signed in, against
a static page of the same app, in the same run, on SQLite and on Postgres.

    .venv/bin/python -m bench.dashboard_pages [--partners 10000] [--db sqlite,postgres] [--requests 200]
                                              [--json out.json]

The window is bench/progress.py's (journeys and steps written through the projection's repositories);
then ~90% of partners get the scores and classification a tier review stores (the same bulk update as
db/repositories/tier_reviews), so sorting by behavior and filtering by classification have data. An
admin is created and signed in through the users repository (a session cookie, as a sign-in link leaves).
The app runs in its own uvicorn process with an extra `GET /bench/static` (signed in, a fixed page, no
other database read). One request at a time, `--requests` per page after a warm-up; prints req/s,
p50/p95 and the ratio of req/s to the static page's. Goal: p95 < 300 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from sqlalchemy import select, update

from api.app import create_app
from api.dashboard.access import DASHBOARD_HEADERS, ViewerDep
from api.dashboard.auth import SESSION_COOKIE, hash_token
from bench.progress import _database, _drop, _serve, seed
from db.migrate import upgrade
from db.models import CohortMember, Partner
from db.repositories import users
from db.session import SessionFactory, make_engine, make_sessionmaker, transaction
from embedded import publish_shipped
from settings import Settings

CLASSES = ("on_track", "not_yet", "at_risk", "not_now")
STATIC = "<!doctype html><html lang=en><title>static</title><main><h1>Static page</h1></main></html>"


def bench_app() -> FastAPI:
    """The app as `cosell up` serves it, plus the signed-in static page (uvicorn --factory)."""
    settings = Settings(
        environment="test",
        database_url=os.environ["COSELL_BENCH_DB"],
        data_dir=Path("/nonexistent"),
        progress_summary_max_age_seconds=2.0,
    )
    app = create_app(settings, temporal=object())  # type: ignore[arg-type]  # these pages never call Temporal

    @app.get("/bench/static", response_class=HTMLResponse)
    async def static(_: ViewerDep) -> HTMLResponse:
        return HTMLResponse(STATIC, headers=DASHBOARD_HEADERS)

    return app


async def score(sessions: SessionFactory, cohort_id: str, rng: random.Random) -> list[str]:
    """What a tier review stores for ~90% of the members; returns every member's id."""
    async with transaction(sessions) as session:
        ids = list(await session.scalars(select(CohortMember.partner_id).where(CohortMember.cohort_id == cohort_id)))
        judged = [
            {
                "id": pid,
                "scores": {k: rng.randint(0, 100) for k in ("behavior", "gtm_readiness", "early_traction")},
                "classification": rng.choice(CLASSES),
                "scored_at": datetime.now(UTC),
            }
            for pid in ids
            if rng.random() < 0.9
        ]
        for start in range(0, len(judged), 2000):
            await session.execute(update(Partner), judged[start : start + 2000])
    return ids


async def signed_in(sessions: SessionFactory) -> str:
    """An admin's session token, as a used sign-in link leaves it."""
    token, now = secrets.token_urlsafe(32), datetime.now(UTC)
    async with transaction(sessions) as session:
        user = await users.create(session, "bench@admin.example", "Bench Admin", "admin", [])
        await users.add_session(session, hash_token(token), user.id, now, now + timedelta(days=1))
    return token


async def _measure(client: httpx.AsyncClient, urls: list[str], requests: int) -> dict[str, float]:
    """`requests` requests one after another (after 10 unrecorded), cycling `urls`."""
    latencies: list[float] = []
    rows = 0
    for n in range(requests + 10):
        url = urls[n % len(urls)]
        began = time.perf_counter()
        answer = await client.get(url)
        took = time.perf_counter() - began
        assert answer.status_code == 200, (url, answer.status_code, answer.text[:300])
        if n >= 10:
            latencies.append(took)
            rows = max(rows, answer.text.count("<tr"))
    cuts = statistics.quantiles(latencies, n=20)
    return {
        "req_per_s": len(latencies) / sum(latencies),
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": cuts[18] * 1000,
        "requests": len(latencies),
        "max_rows": rows,
    }


def _pages(cohort: str, partner_ids: list[str], rng: random.Random) -> dict[str, list[str]]:
    board = f"/cohorts/{cohort}"
    return {
        "cohort board, first page": [board],
        "board filtered: waiting, tier 3, by lag": [f"{board}?status=waiting&tier=3&sort=lag"],
        "board filtered: at risk, by behavior": [f"{board}?classification=at_risk&sort=behavior"],
        "partner page (200 partners)": [f"/partners/{pid}" for pid in rng.sample(partner_ids, 200)],
        "Today (the act-today list of every window)": ["/"],
    }


async def run(kind: str, count: int, requests: int) -> dict[str, Any]:
    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as tmp:
        url, pg_name = await _database(kind, Path(tmp))
        engine = make_engine(url)
        try:
            await upgrade(engine)
            sessions = make_sessionmaker(engine)
            await publish_shipped(sessions)
            began = time.perf_counter()
            cohort = await seed(sessions, count)
            partner_ids = await score(sessions, cohort, rng)
            token = await signed_in(sessions)
            seeded = time.perf_counter() - began
            if kind == "postgres":  # what autovacuum's analyze does after a bulk load; plans assume statistics
                async with engine.connect() as conn:
                    await (await conn.execution_options(isolation_level="AUTOCOMMIT")).exec_driver_sql("ANALYZE")
            await engine.dispose()
            server, base = await _serve(url, "bench.dashboard_pages:bench_app")
            try:
                cookies = {SESSION_COOKIE: token}
                async with httpx.AsyncClient(base_url=base, cookies=cookies, timeout=120) as client:
                    baseline = await _measure(client, ["/bench/static"], requests)
                    figures = {
                        name: await _measure(client, urls, requests)
                        for name, urls in _pages(cohort, partner_ids, rng).items()
                    }
            finally:
                server.terminate()
                server.wait(timeout=30)
        finally:
            await engine.dispose()
            if pg_name:
                await _drop(pg_name)
    return {"db": kind, "partners": count, "seed_s": seeded, "baseline": baseline, "figures": figures}


def _line(name: str, f: dict[str, float], baseline: dict[str, float] | None) -> str:
    text = f"  {name:<42} {f['req_per_s']:7.1f} req/s  p50 {f['p50_ms']:7.1f} ms  p95 {f['p95_ms']:7.1f} ms"
    if baseline is None:
        return text + "  (baseline)"
    return text + f"  ratio {f['req_per_s'] / baseline['req_per_s']:.3f}x  <tr> <= {int(f['max_rows'])}"


def report(result: dict[str, Any]) -> None:
    print(
        f"{result['db']}: {result['partners']:,} partners, seeded through the repositories in "
        f"{result['seed_s']:.0f} s; {result['baseline']['requests']} requests per page, one at a time, signed in"
    )
    print(_line("static page, same app", result["baseline"], None))
    for name, figure in result["figures"].items():
        print(_line(name, figure, result["baseline"]))
    print("  goal: p95 < 300 ms; <tr>: the most table rows one page rendered (headers and every table included)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--partners", type=int, default=10_000)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if args.requests < 20:
        parser.error("--requests: at least 20, for a p95")
    results = []
    for kind in args.db.split(","):
        results.append(asyncio.run(run(kind, args.partners, args.requests)))
        report(results[-1])
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
