"""A tier review of 10,000 partners on Postgres, end to end through Temporal, against reading the same rows.

    .venv/bin/python -m bench.tier_review [--partners 10000 --seed 20261203 --page-size 500]

Needs Postgres on 127.0.0.1:5432 (user postgres, trust; COSELL_BENCH_PG_ADMIN overrides) and the
`temporal` binary the project installs (a dev server is started for the run). A throwaway database is
created and dropped. The review runs as TierReviewWorkflow on a worker in this process: open, pages of
`--page-size` partners (load facts, assess, write tiers and movements), continue-as-new every 20
pages, finish with the PM digest. The baseline, measured in the same run on the same database, reads
the same pages of partners and their facts (the same queries) without judging or writing anything.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from datetime import UTC, datetime

import asyncpg
from sqlalchemy import func, select
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from bench.tier_review_data import PROGRAM, seed
from db.intel_models import TierMovement
from db.migrate import upgrade
from db.repositories import partner_facts, tier_reviews
from db.session import SessionFactory, make_engine, make_sessionmaker, transaction
from embedded import publish_shipped, temporal_binary
from settings import Settings
from worker import build_worker
from workflows.tier_review.messages import TierReviewInput, tier_review_workflow_id
from workflows.tier_review.workflow import TierReviewWorkflow

PG_ADMIN = os.environ.get("COSELL_BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")


async def baseline(sessions: SessionFactory, page_size: int) -> tuple[int, int]:
    """Page through the program's partners and load their facts, as the review does; (partners, facts)."""
    after, partners, facts = None, 0, 0
    while True:
        async with transaction(sessions) as session:
            ids = await tier_reviews.partner_page(session, PROGRAM, after, page_size)
            loaded = await partner_facts.load_many(session, ids)
        partners += len(loaded)
        facts += sum(len(f.steps) + len(f.submissions) + len(f.intros) + len(f.deals) for f in loaded.values())
        if len(ids) < page_size:
            return partners, facts
        after = ids[-1]


async def review(sessions: SessionFactory, url: str, page_size: int) -> tuple[float, object]:
    settings = Settings(environment="test", database_url=url, task_queue=f"bench-{uuid.uuid4()}", dev_inbox=True)
    env = await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter,
        dev_server_existing_path=temporal_binary(),
        ui=False,
        dev_server_extra_args=["--log-level", "error"],
    )
    try:
        async with build_worker(env.client, settings, sessions):
            started = time.perf_counter()
            result = await env.client.execute_workflow(
                TierReviewWorkflow.run,
                TierReviewInput(program_id=PROGRAM, period="2026-12", page_size=page_size),
                id=tier_review_workflow_id(PROGRAM, "2026-12"),
                task_queue=settings.task_queue,
            )
            return time.perf_counter() - started, result
    finally:
        await env.shutdown()


async def run(partners: int, seed_value: int, page_size: int) -> None:
    name = f"cosell_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{name}"
    engine = make_engine(url)
    try:
        await upgrade(engine)
        sessions = make_sessionmaker(engine)
        await publish_shipped(sessions)
        started = time.perf_counter()
        rows = await seed(sessions, partners, seed_value, datetime.now(UTC))
        print(
            f"seeded    {partners:,} partners, {rows:,} rows in {time.perf_counter() - started:.1f} s "
            f"(seed {seed_value})"
        )
        started = time.perf_counter()
        read, facts = await baseline(sessions, page_size)
        base = time.perf_counter() - started
        took, result = await review(sessions, url, page_size)
        async with transaction(sessions) as session:
            moved = await session.scalar(select(func.count()).select_from(TierMovement)) or 0
        print(
            f"baseline  read {read:,} partners ({facts / max(read, 1):.1f} facts each) in pages of {page_size}: "
            f"{base:6.1f} s = {read / base:8,.0f}/s"
        )
        print(f"review    TierReviewWorkflow end to end: {took:6.1f} s = {partners / took:8,.0f}/s (goal < 60 s)")
        print(f"ratio     the review costs {took / base:.1f}x reading the same rows")
        print(f"outcome   {result}; {moved:,} movements recorded")
    finally:
        await engine.dispose()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--partners", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=20261203)
    parser.add_argument("--page-size", type=int, default=500)
    args = parser.parse_args()
    asyncio.run(run(args.partners, args.seed, args.page_size))


if __name__ == "__main__":
    main()
