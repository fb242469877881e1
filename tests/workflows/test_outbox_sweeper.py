"""The outbox sweeper on simulated time, through its workflow: a forgotten `pending` row is sent once, an
`unknown` one is settled by asking the provider (found: `sent`; not there: sent once)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import update
from temporalio.client import ScheduleIntervalSpec
from temporalio.testing import WorkflowEnvironment

from activities.sweeper import SweepResult
from db.models import EmailOutbox, utcnow
from db.repositories import outbox
from db.session import SessionFactory, transaction
from settings import Settings
from tests.conftest import start_time_skipping
from tests.factories import settings_for
from tests.fakes.sendgrid import API_KEY, FakeSendGrid
from tests.mail.helpers import queue, row
from tests.workflows.helpers import running_worker
from worker import ensure_sweep_schedule, sweep_schedule_id
from workflows.sweeper import OutboxSweepWorkflow

HISTORIES = Path(__file__).parent / "histories"


@pytest_asyncio.fixture
async def ts_env() -> AsyncIterator[WorkflowEnvironment]:
    """Unlike the shared fixture, the clock stays at today: the sweeper compares its time with the
    rows' real created_at."""
    env = await start_time_skipping()
    yield env
    await env.shutdown()


async def sweep(env: WorkflowEnvironment, settings: Settings) -> SweepResult:
    # The test server jumps its clock (years) after a result while auto-skipping; here time moves
    # only by the sleeps the test asks for.
    with env.auto_time_skipping_disabled():
        return await env.client.execute_workflow(
            OutboxSweepWorkflow.run, id=f"sweep-{uuid.uuid4()}", task_queue=settings.task_queue
        )


async def mark_unknown(sessions: SessionFactory, outbox_id: str) -> None:
    """What a worker killed mid-send leaves behind (see test_send_crash): claimed, outcome unknown."""
    async with transaction(sessions) as session:
        assert await outbox.claim(session, outbox_id) is not None
        await session.execute(update(EmailOutbox).where(EmailOutbox.id == outbox_id).values(status="unknown"))


def sendgrid_settings(sessions: SessionFactory, fake: FakeSendGrid) -> Settings:
    return settings_for(sessions, email_backend="sendgrid", sendgrid_api_key=API_KEY, sendgrid_host=fake.url)


async def test_a_forgotten_pending_row_is_sent_once_and_unknown_rows_are_settled(
    ts_env: WorkflowEnvironment, sessions: SessionFactory
) -> None:
    forgotten = await queue(sessions)
    silent, answered = await queue(sessions), await queue(sessions)
    await mark_unknown(sessions, silent)  # the worker died before the request left
    await mark_unknown(sessions, answered)  # ... or after SendGrid had accepted it
    with FakeSendGrid() as fake:
        fake.accepted[answered] = "accepted-before-the-kill.filter-1.0"
        settings = sendgrid_settings(sessions, fake)
        async with running_worker(ts_env.client, settings, sessions):
            # Seconds old: inside the 15-minute grace, the writer may still be sending it; and SendGrid's
            # activity feed may not show an accepted message yet, so nobody asks it.
            assert await sweep(ts_env, settings) == SweepResult()
            assert (fake.requests, fake.searches, (await row(sessions, forgotten)).status) == ([], [], "pending")

            await ts_env.sleep(timedelta(hours=1))
            first, second = await asyncio.gather(sweep(ts_env, settings), sweep(ts_env, settings))
            # Both sweeps may pick the rows up; the claims let one send each, never twice.
            sent = sorted(body["custom_args"]["cosell_outbox_id"] for _, body in fake.requests)
            assert sent == sorted([forgotten, silent]), (first, second)
            assert {**first.delivered, **second.delivered}.keys() <= {"sent", "sending"}, (first, second)
            assert {**first.reconciled, **second.reconciled}.keys() <= {"sent", "confirmed", "kept"}, (first, second)
            await ts_env.sleep(timedelta(days=3))
            assert await sweep(ts_env, settings) == SweepResult() and len(fake.requests) == 2, fake.requests

    assert [(await row(sessions, r)).status for r in (forgotten, silent, answered)] == ["sent"] * 3
    assert (await row(sessions, silent)).resent_at is not None and (await row(sessions, answered)).resent_at is None
    assert (await row(sessions, answered)).provider_message_id == "accepted-before-the-kill.filter-1.0"
    async with transaction(sessions) as session:
        assert await outbox.unsettled(session) == []


async def test_a_claim_left_by_a_dead_sender_becomes_unknown_and_is_sent_once_the_provider_has_none(
    ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
) -> None:
    stuck = await queue(sqlite_sessions)
    async with transaction(sqlite_sessions) as session:
        assert await outbox.claim(session, stuck) is not None
        long_ago = utcnow() - timedelta(hours=2)
        await session.execute(update(EmailOutbox).where(EmailOutbox.id == stuck).values(claimed_at=long_ago))
    with FakeSendGrid() as fake:
        settings = sendgrid_settings(sqlite_sessions, fake)
        async with running_worker(ts_env.client, settings, sqlite_sessions):
            await ts_env.sleep(timedelta(hours=1))
            assert await sweep(ts_env, settings) == SweepResult(delivered={"unknown": 1}, reconciled={"sent": 1})
    assert len(fake.requests) == 1 and len(fake.searches) == 1
    assert (await row(sqlite_sessions, stuck)).status == "sent"


async def test_the_schedule_is_created_once(dev_env: WorkflowEnvironment, sqlite_sessions: SessionFactory) -> None:
    settings = settings_for(sqlite_sessions, outbox_sweep_every_seconds=600)
    try:
        assert await ensure_sweep_schedule(dev_env.client, settings) is True
        assert await ensure_sweep_schedule(dev_env.client, settings) is False  # a second worker starting
        described = await dev_env.client.get_schedule_handle(sweep_schedule_id(settings)).describe()
        assert described.schedule.spec.intervals == [ScheduleIntervalSpec(every=timedelta(minutes=10))]
    finally:
        await dev_env.client.get_schedule_handle(sweep_schedule_id(settings)).delete()


@pytest.mark.skipif(not os.environ.get("COSELL_RECORD_HISTORIES"), reason="set COSELL_RECORD_HISTORIES=1 to re-record")
async def test_record_sweep_history(ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory) -> None:
    await queue(sqlite_sessions)
    settings = settings_for(sqlite_sessions)
    async with running_worker(ts_env.client, settings, sqlite_sessions):
        await ts_env.sleep(timedelta(hours=1))
        handle = await ts_env.client.start_workflow(
            OutboxSweepWorkflow.run, id="outbox-sweep", task_queue=settings.task_queue
        )
        assert await handle.result() == SweepResult(delivered={"sent": 1})
        path = HISTORIES / "outbox-sweep--v1.json"
        if not path.exists():  # a saved history is never overwritten: it proves the old code path replays
            path.write_text((await handle.fetch_history()).to_json())
