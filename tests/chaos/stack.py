"""The whole product as separate processes, for one chaos test: its own database on the chaos Postgres, a
task queue on the chaos Temporal server, `cosell worker` and `cosell api` children, SendGrid faked.

And the counts a scenario quotes: journeys started (Temporal's own list), step completions, outbox rows
by kind and status, and requests the provider received per outbox row.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import func, select
from temporalio.client import Client

from db.migrate import upgrade
from db.models import EmailOutbox, JourneyEvent
from db.session import SessionFactory, make_engine, make_sessionmaker, transaction
from embedded import publish_shipped
from mail.sendgrid import OUTBOX_ARG
from settings import Settings
from tests.api.helpers import PM
from tests.chaos.processes import Child, PrivatePostgres, TemporalDevServer, cosell, fixed_port
from tests.factories import partner
from tests.fakes.sendgrid import API_KEY, FakeSendGrid
from tests.waiting import eventually
from wiring import connect

# Each scenario's counts, printed again at the end of the run (tests/chaos/conftest.py) so CI logs show them.
REPORT: list[str] = []


def report(line: str) -> None:
    REPORT.append(line)
    sys.stdout.write(f"\n{line}\n")


@dataclass
class Stack:
    settings: Settings
    sessions: SessionFactory
    temporal: Client
    fake: FakeSendGrid
    worker: Child
    api: Child
    base: str
    started: list[Child] = field(default_factory=list)

    def pm(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base, headers=PM, timeout=30)

    async def launch(self, partners: int, **extra: Any) -> dict[str, Any]:
        """A cohort of `partners` on quickstart-14d, created (and launched) through the API."""
        body = {
            "name": "Chaos cohort",
            "program": "Chaos program",
            "playbook_id": "quickstart-14d",
            "partners": [partner(f"Partner {i:04d}") for i in range(partners)],
            **extra,
        }
        async with self.pm() as pm:
            answer = await pm.post("/api/v1/cohorts", json=body)
        assert answer.status_code == 201, answer.text
        return answer.json()

    # --- counts ----------------------------------------------------------------------------

    def provider_requests(self) -> Counter[str]:
        """Requests SendGrid received, per outbox row (a row twice here is an email delivered twice)."""
        return Counter(body.get("custom_args", {}).get(OUTBOX_ARG, "?") for _, body in list(self.fake.requests))

    async def outbox(self, kind: str | None = None) -> list[EmailOutbox]:
        async with transaction(self.sessions) as session:
            query = select(EmailOutbox)
            if kind is not None:
                query = query.where(EmailOutbox.kind == kind)
            return list(await session.scalars(query))

    async def completions(self, step_key: str) -> Counter[str]:
        """step_completed events per journey (the timeline's id is a business key: one per step at most)."""
        async with transaction(self.sessions) as session:
            rows = await session.execute(
                select(JourneyEvent.journey_id, func.count())
                .where(JourneyEvent.kind == "step_completed", JourneyEvent.step_key == step_key)
                .group_by(JourneyEvent.journey_id)
            )
            return Counter({journey: count for journey, count in rows})

    async def journey_runs(self, cohort_id: str) -> Counter[str]:
        """Every PartnerJourneyWorkflow execution Temporal holds for the cohort, per workflow id."""
        query = f"WorkflowType = 'PartnerJourneyWorkflow' AND WorkflowId STARTS_WITH 'journey/{cohort_id}/'"
        return Counter([w.id async for w in self.temporal.list_workflows(query)])

    async def invites_settled(self, expected: int, step_key: str = "icp", within: float = 150) -> list[EmailOutbox]:
        """Wait until `expected` invites for `step_key` exist and none is still pending or being sent."""

        async def settled() -> list[EmailOutbox]:
            rows = [r for r in await self.outbox("step_invite") if f"/{step_key}/" in r.dedupe_key]
            statuses = Counter(r.status for r in rows)
            assert len(rows) == expected and not statuses & Counter(["pending", "sending"]), dict(statuses)
            return rows

        return await eventually(settled, what=f"{expected} {step_key} invites settled", within=within, interval=0.5)

    async def none_unknown(self, kind: str) -> list[EmailOutbox]:
        """Wait until the sweeper has settled every `unknown` row of `kind` (asked the fake SendGrid, resent)."""

        async def settled() -> list[EmailOutbox]:
            rows = await self.outbox(kind)
            assert not [r for r in rows if r.status in ("unknown", "sending")], dict(Counter(r.status for r in rows))
            return rows

        return await eventually(settled, what=f"no {kind} left unknown", within=60, interval=0.5)


def child_env(settings: Settings, db_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "COSELL_ENVIRONMENT": "test",
        "COSELL_DATABASE_URL": db_url,
        "COSELL_TASK_QUEUE": settings.task_queue,
        "COSELL_TEMPORAL_ADDRESS": settings.temporal_address,
        "COSELL_EMAIL_BACKEND": "sendgrid",
        "COSELL_SENDGRID_API_KEY": API_KEY,
        "COSELL_SENDGRID_HOST": settings.sendgrid_host,
        "COSELL_API_PORT": str(settings.api_port),
        "COSELL_PUBLIC_BASE_URL": settings.public_base_url,
        # Every "partner" of these tests posts from 127.0.0.1.
        "COSELL_LINK_RATE_LIMIT_PER_IP": "100000",
        "COSELL_LINK_RATE_LIMIT_PER_TOKEN": "1000",
        # The sweeper runs every few seconds and asks the fake SendGrid about an `unknown` send at once (the
        # fake's activity feed has a message as soon as it answered it; SendGrid's takes minutes).
        "COSELL_OUTBOX_SWEEP_EVERY_SECONDS": "3",
        "COSELL_OUTBOX_QUERY_AFTER_SECONDS": "1",
        "PYTHONUNBUFFERED": "1",
    }


async def new_database(postgres: PrivatePostgres) -> str:
    name = f"chaos_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(postgres.admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return postgres.url(name)


@asynccontextmanager
async def stack(postgres: PrivatePostgres, temporal: TemporalDevServer, log_dir: Path) -> AsyncIterator[Stack]:
    """Everything started; on the way out every child is stopped (by its pid) and its log tail printed
    if the test failed."""
    db_url = await new_database(postgres)
    engine = make_engine(db_url)
    await upgrade(engine)
    sessions = make_sessionmaker(engine)
    await publish_shipped(sessions)
    port = fixed_port()
    with FakeSendGrid() as fake:
        settings = Settings(
            environment="test",
            database_url=db_url,
            task_queue=f"chaos-{uuid.uuid4().hex[:8]}",
            temporal_address=temporal.address,
            email_backend="sendgrid",
            sendgrid_api_key=API_KEY,
            sendgrid_host=fake.url,
            api_port=port,
            public_base_url=f"http://127.0.0.1:{port}",
        )
        env = child_env(settings, db_url)
        worker = cosell("worker", ["worker"], env, log_dir)
        api = cosell("api", ["api"], env, log_dir, port)
        client = await connect(settings)
        found = Stack(settings, sessions, client, fake, worker, api, settings.public_base_url)
        try:
            worker.start()
            api.start()
            yield found
        except BaseException:
            for child in (worker, api, temporal.child):
                sys.stdout.write(f"--- {child.name} log (tail):\n{child.log.read_text()[-4000:]}\n")
            raise
        finally:
            worker.kill()
            api.kill()
            await engine.dispose()
