"""Launch an N-partner activation window (default 10,000) on the Temporal dev server and print
journeys started per second, next to a bare "start workflow + one no-op activity" baseline
measured on the same server in the same run.

    .venv/bin/python -m bench.window_launch --partners 10000 [--journeys idle]

`real` journeys run their first activities (context, stage entry, invite email into the SQLite
outbox) while the window is still starting others, as in production; `idle` isolates fan-out.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.journeys import JourneyActivities
from api.cohorts import service
from bench.baseline_workflow import BaselineWorkflow, noop
from db.migrate import upgrade
from db.models import CohortMember, Partner, PartnerContact
from db.session import make_engine, make_sessionmaker, transaction
from embedded import publish_shipped
from mail.render import EmailRenderer
from mail.sender import OutboxOnlySender
from settings import Settings
from tests.factories import create_cohort, partner
from wiring import make_signer
from workflows.journey.workflow import PartnerJourneyWorkflow
from workflows.shard.workflow import CohortShardWorkflow
from workflows.window.messages import WindowChange, window_id
from workflows.window.workflow import ActivationWindowWorkflow


async def baseline(client: Client, count: int, concurrency: int = 64) -> float:
    queue = f"baseline-{uuid.uuid4()}"
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with gate:
            await client.start_workflow(BaselineWorkflow.run, str(i), id=f"baseline-{queue}-{i}", task_queue=queue)

    async with Worker(client, task_queue=queue, workflows=[BaselineWorkflow], activities=[noop]):
        started = time.monotonic()
        await asyncio.gather(*(one(i) for i in range(count)))
        return count / (time.monotonic() - started)


async def window(client: Client, sessions, settings: Settings, count: int, journeys: str) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    cohort = await create_cohort(sessions, [partner("Seed")], playbook_id="cloud-cosell-90d")
    async with transaction(sessions) as session:
        ids = [f"bench-{i:06d}" for i in range(count - 1)]
        session.add_all(Partner(id=p, name=p, type="SI") for p in ids)
        await session.flush()
        session.add_all(PartnerContact(partner_id=p, email=f"{p}@partner.example", name=p) for p in ids)
        session.add_all(CohortMember(cohort_id=cohort.id, partner_id=p) for p in ids)
    if journeys == "idle":
        from tests.workflows.idle_journey import IdleJourney

        journey_cls: type = IdleJourney
    else:
        journey_cls = PartnerJourneyWorkflow
    acts = JourneyActivities(sessions, OutboxOnlySender(), make_signer(settings), EmailRenderer(), settings)
    async with Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[ActivationWindowWorkflow, CohortShardWorkflow, journey_cls],
        activities=acts.all(),
        max_concurrent_workflow_tasks=100,
        activity_executor=ThreadPoolExecutor(4),
    ):
        started = time.monotonic()
        await service.launch(client, settings.task_queue, cohort)
        handle = client.get_workflow_handle(window_id(cohort.id))
        query = f"WorkflowType = 'PartnerJourneyWorkflow' AND WorkflowId STARTS_WITH 'journey/{cohort.id}/'"
        while (done := (await client.count_workflows(query)).count) < count:  # noqa: ASYNC110
            await asyncio.sleep(0.25)
        rate = count / (time.monotonic() - started)
        await handle.signal(
            ActivationWindowWorkflow.change, WindowChange(key="end", exit_reason="bench", status="closed")
        )
    return rate, done


async def main(count: int, journeys: str) -> None:
    temporal = shutil.which("temporal") or str(Path(sys.executable).parent / "temporal")
    env = await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter,
        dev_server_existing_path=temporal,
        ui=False,
        dev_server_extra_args=["--log-level", "error"],
    )
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            environment="test",
            data_dir=Path(tmp),
            database_url=f"sqlite+aiosqlite:///{tmp}/b.db",
            task_queue=f"bench-{uuid.uuid4()}",
        )
        engine = make_engine(settings.database_url)
        try:
            await upgrade(engine)
            sessions = make_sessionmaker(engine)
            await publish_shipped(sessions)
            base = await baseline(env.client, count)
            rate, started = await window(env.client, sessions, settings, count, journeys)
        finally:
            await engine.dispose()
            await env.shutdown()
    print(f"partners: {count}, journeys: {journeys}, dev server in memory, 2 cores")
    print(f"baseline  start workflow + 1 no-op activity: {base:8.1f} starts/s")
    print(f"window    journeys started through shards:   {rate:8.1f} starts/s ({started} started)")
    print(f"ratio     window / baseline:                 {rate / base:8.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--partners", type=int, default=10_000)
    parser.add_argument("--journeys", choices=("real", "idle"), default="real")
    args = parser.parse_args()
    asyncio.run(main(args.partners, args.journeys))
