"""The Temporal worker: the one place that builds clients, sessions and senders and registers everything."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import Runtime
from temporalio.worker import Worker

from activities.conditions import ConditionActivities
from activities.deals import DealActivities
from activities.feedback import FeedbackActivities
from activities.intros import IntroActivities
from activities.journeys import JourneyActivities
from activities.sweeper import SweeperActivities, ensure_sweep_schedule
from activities.tier_reviews import TierReviewActivities
from db.repositories import programs
from db.session import SessionFactory, make_engine, make_sessionmaker, transaction
from domain.links import LinkSigner
from mail import EmailSender
from mail import make_sender as make_mail_sender
from mail.render import EmailRenderer
from observability.logs import configure_logging
from observability.metrics import TimedSender, temporal_runtime
from observability.server import probe_app, serving
from settings import Settings, get_settings
from workflows.ae_feedback.workflow import AeFeedbackWorkflow
from workflows.intro_batch.workflow import IntroBatchWorkflow
from workflows.journey.workflow import PartnerJourneyWorkflow
from workflows.shard.workflow import CohortShardWorkflow
from workflows.sweeper import OutboxSweepWorkflow
from workflows.tier_review.schedule import ensure_review_schedule
from workflows.tier_review.workflow import TierReviewWorkflow
from workflows.window.workflow import ActivationWindowWorkflow

WORKFLOWS = [
    ActivationWindowWorkflow,
    CohortShardWorkflow,
    PartnerJourneyWorkflow,
    AeFeedbackWorkflow,
    IntroBatchWorkflow,
    OutboxSweepWorkflow,
    TierReviewWorkflow,
]


async def connect(settings: Settings, runtime: Runtime | None = None) -> Client:
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
        runtime=runtime,
    )


def make_signer(settings: Settings) -> LinkSigner:
    return LinkSigner(settings.link_signing_keys, timedelta(days=settings.link_max_age_days))


def make_sender(settings: Settings) -> EmailSender:
    """The configured backend, timed per provider call for /metrics."""
    return TimedSender(make_mail_sender(settings, make_signer(settings)))


def build_worker(
    client: Client, settings: Settings, sessions: SessionFactory, sender: EmailSender | None = None, **options: Any
) -> Worker:
    """`options` go to the Worker as they are (a test that stops a worker shortens its sticky-queue timeout)."""
    sender = sender or make_sender(settings)
    signer, renderer = make_signer(settings), EmailRenderer()
    activities = [
        *JourneyActivities(sessions, sender, signer, renderer, settings).all(),
        *ConditionActivities(sessions, sender, signer, renderer, settings).all(),
        *IntroActivities(sessions, sender, signer, renderer, settings).all(),
        *DealActivities(sessions, sender, signer, renderer, settings).all(),
        *FeedbackActivities(sessions, sender, signer, renderer, settings).all(),
        *SweeperActivities(sessions, sender, signer, renderer, settings).all(),
        *TierReviewActivities(sessions, sender, signer, renderer, settings).all(),
    ]
    return Worker(client, task_queue=settings.task_queue, workflows=WORKFLOWS, activities=activities, **options)


async def ensure_review_schedules(client: Client, settings: Settings, sessions: SessionFactory) -> None:
    """Every program's tier review schedule at its cadence (a program created since gets its own at its
    first triggered review or cadence change, or at the next worker start)."""
    async with transaction(sessions) as session:
        found = [(p.id, p.tier_review_cadence) for p in await programs.all_by_name(session)]
    for program_id, cadence in found:
        await ensure_review_schedule(client, program_id, cadence, settings.task_queue)


async def run(settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    try:
        client = await connect(settings, temporal_runtime(settings.worker_http_host, settings.temporal_metrics_port))
        await ensure_sweep_schedule(client, settings)
        sessions = make_sessionmaker(engine)
        await ensure_review_schedules(client, settings, sessions)
        async with serving(probe_app(sessions, client), settings.worker_http_host, settings.worker_http_port):
            await build_worker(client, settings, sessions).run()
    finally:
        await engine.dispose()


if __name__ == "__main__":
    configure_logging("json" if get_settings().json_logs else "text")
    asyncio.run(run(get_settings()))
