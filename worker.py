"""The Temporal worker: registers every workflow and activity, and the outbox sweeper's and tier reviews' schedules;
the client, senders and signers it shares with the API come from wiring.py."""

from __future__ import annotations

import asyncio
import compileall
import contextlib
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
)
from temporalio.worker import Worker

from activities.conditions import ConditionActivities
from activities.deals import DealActivities
from activities.experiments import ExperimentActivities
from activities.feedback import FeedbackActivities
from activities.intros import IntroActivities
from activities.journeys import JourneyActivities
from activities.keepalive import KeepAlive
from activities.sweeper import SweeperActivities
from activities.tier_reviews import TierReviewActivities
from activities.webhook_delivery import WebhookActivities
from db.repositories import programs
from db.session import SessionFactory, make_engine, make_sessionmaker, transaction
from mail import EmailSender
from mail.render import EmailRenderer
from observability.logs import configure_logging
from observability.metrics import temporal_runtime
from observability.server import probe_app, serving
from observability.tracing import tracer_provider
from settings import Settings, get_settings
from wiring import connect, make_sender, make_signer
from workflows.ae_feedback.workflow import AeFeedbackWorkflow
from workflows.intro_batch.workflow import IntroBatchWorkflow
from workflows.journey.workflow import PartnerJourneyWorkflow
from workflows.shard.workflow import CohortShardWorkflow
from workflows.sweeper import OutboxSweepWorkflow
from workflows.tier_review.schedule import ensure_review_schedule
from workflows.tier_review.workflow import TierReviewWorkflow
from workflows.webhook_delivery.workflow import WebhookDeliveryWorkflow, WebhookDispatchWorkflow
from workflows.window.workflow import ActivationWindowWorkflow

WORKFLOW_SOURCES = Path(__file__).parent / "workflows"

WORKFLOWS = [
    ActivationWindowWorkflow,
    CohortShardWorkflow,
    PartnerJourneyWorkflow,
    AeFeedbackWorkflow,
    IntroBatchWorkflow,
    OutboxSweepWorkflow,
    TierReviewWorkflow,
    WebhookDispatchWorkflow,
    WebhookDeliveryWorkflow,
]


def sweep_schedule_id(settings: Settings) -> str:
    return f"outbox-sweep/{settings.task_queue}"


async def ensure_sweep_schedule(client: Client, settings: Settings) -> bool:
    """Create the sweeper's schedule unless it exists (every worker calls this at start); True if created."""
    every = timedelta(seconds=settings.outbox_sweep_every_seconds)
    return await _ensure_schedule(client, sweep_schedule_id(settings), OutboxSweepWorkflow.run, every, settings)


async def ensure_webhook_schedule(client: Client, settings: Settings) -> bool:
    """The outbound webhook dispatcher's schedule: pending deliveries are handed on at most this late."""
    every = timedelta(seconds=settings.outbound_webhook_dispatch_every_seconds)
    schedule_id = f"webhook-dispatch/{settings.task_queue}"
    return await _ensure_schedule(client, schedule_id, WebhookDispatchWorkflow.run, every, settings)


async def _ensure_schedule(client: Client, schedule_id: str, run: Any, every: timedelta, settings: Settings) -> bool:
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(run, id=f"{schedule_id}/run", task_queue=settings.task_queue),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=every)]),
        # A run still going when the next is due is enough: never two at once, no backlog.
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )
    try:
        await client.create_schedule(schedule_id, schedule)
    except ScheduleAlreadyRunningError:
        return False
    return True


def compile_workflow_modules(root: Path = WORKFLOW_SOURCES) -> None:
    """Write the workflow packages' bytecode. The sandbox imports them afresh for every workflow run (and every
    replay after a cache eviction); with no bytecode on disk (PYTHONDONTWRITEBYTECODE in a source checkout) each
    of those imports compiled the sources again: 18% of the worker's CPU while a 1,000-partner window launched.
    Up-to-date files are left alone; a read-only install keeps what its image compiled."""
    with contextlib.suppress(OSError):
        compileall.compile_dir(root, quiet=2)


def build_worker(
    client: Client, settings: Settings, sessions: SessionFactory, sender: EmailSender | None = None, **options: Any
) -> Worker:
    """`options` go to the Worker as they are (a test that stops a worker shortens its sticky-queue timeout)."""
    compile_workflow_modules()
    sender = sender or make_sender(settings)
    signer, renderer = make_signer(settings), EmailRenderer()
    activities = [
        *JourneyActivities(sessions, sender, signer, renderer, settings).all(),
        *ConditionActivities(sessions, sender, signer, renderer, settings).all(),
        *ExperimentActivities(sessions, sender, signer, renderer, settings).all(),
        *IntroActivities(sessions, sender, signer, renderer, settings).all(),
        *DealActivities(sessions, sender, signer, renderer, settings).all(),
        *FeedbackActivities(sessions, sender, signer, renderer, settings).all(),
        *SweeperActivities(sessions, sender, signer, renderer, settings).all(),
        *TierReviewActivities(sessions, sender, signer, renderer, settings).all(),
        *WebhookActivities(sessions, sender, signer, renderer, settings).all(),
    ]
    interceptors = [KeepAlive(), *options.pop("interceptors", [])]
    sizing = {
        "max_concurrent_workflow_tasks": settings.worker_max_concurrent_workflow_tasks,
        "max_concurrent_activities": settings.worker_max_concurrent_activities,
        "max_cached_workflows": settings.worker_max_cached_workflows,
    }
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=WORKFLOWS,
        activities=activities,
        interceptors=interceptors,
        **{**sizing, **options},
    )


async def ensure_review_schedules(client: Client, settings: Settings, sessions: SessionFactory) -> None:
    """Every program's tier review schedule at its cadence (a program created since gets its own at its
    first triggered review or cadence change, or at the next worker start)."""
    async with transaction(sessions) as session:
        found = [(p.id, p.tier_review_cadence) for p in await programs.all_by_name(session)]
    for program_id, cadence in found:
        await ensure_review_schedule(client, program_id, cadence, settings.task_queue)


async def run(settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    tracer = tracer_provider(settings, "cosell-worker")
    try:
        runtime = temporal_runtime(settings.worker_http_host, settings.temporal_metrics_port)
        client = await connect(settings, runtime, tracer)
        await ensure_sweep_schedule(client, settings)
        await ensure_webhook_schedule(client, settings)
        sessions = make_sessionmaker(engine)
        await ensure_review_schedules(client, settings, sessions)
        async with serving(probe_app(sessions, client), settings.worker_http_host, settings.worker_http_port):
            await build_worker(client, settings, sessions).run()
    finally:
        await engine.dispose()
        if tracer is not None:
            tracer.shutdown()  # flushes the spans still batched


if __name__ == "__main__":
    configure_logging("json" if get_settings().json_logs else "text")
    asyncio.run(run(get_settings()))
