"""The Temporal worker: the one place that builds clients, sessions and senders and registers everything."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

from activities.email.render import EmailRenderer
from activities.email.sender import EmailSender, OutboxOnlySender
from activities.email.sendgrid_sender import SendGridSender
from activities.email.smtp_sender import SmtpSender
from activities.email.unsubscribe import ListUnsubscribe
from activities.feedback import FeedbackActivities
from activities.intros import IntroActivities
from activities.journeys import JourneyActivities
from activities.sweeper import SweeperActivities, ensure_sweep_schedule
from db.session import SessionFactory, make_engine, make_sessionmaker
from domain.links import LinkSigner
from observability.server import probe_app, serving
from settings import Settings, get_settings
from workflows.ae_feedback import AeFeedbackWorkflow
from workflows.intro_batch import IntroBatchWorkflow
from workflows.journey import PartnerJourneyWorkflow
from workflows.shard import CohortShardWorkflow
from workflows.sweeper import OutboxSweepWorkflow
from workflows.window import ActivationWindowWorkflow

WORKFLOWS = [
    ActivationWindowWorkflow,
    CohortShardWorkflow,
    PartnerJourneyWorkflow,
    AeFeedbackWorkflow,
    IntroBatchWorkflow,
    OutboxSweepWorkflow,
]


async def connect(settings: Settings) -> Client:
    return await Client.connect(
        settings.temporal_address, namespace=settings.temporal_namespace, data_converter=pydantic_data_converter
    )


def make_signer(settings: Settings) -> LinkSigner:
    return LinkSigner(settings.link_signing_keys, timedelta(days=settings.link_max_age_days))


def make_sender(settings: Settings) -> EmailSender:
    """The backend named by COSELL_EMAIL_BACKEND, wrapped so reminders carry one-click unsubscribe."""
    backend: EmailSender
    if settings.email_backend == "sendgrid":
        backend = SendGridSender(
            api_key=settings.sendgrid_api_key.get_secret_value(),
            from_email=settings.email_from,
            from_name=settings.program_name,
            host=settings.sendgrid_host,
            timeout_seconds=settings.sendgrid_timeout_seconds,
            open_tracking=settings.sendgrid_open_tracking,
        )
    elif settings.email_backend == "smtp":
        backend = SmtpSender(
            host=settings.smtp_host,
            port=settings.smtp_port,
            from_email=settings.email_from,
            from_name=settings.program_name,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value(),
            starttls=settings.smtp_starttls,
            timeout_seconds=settings.smtp_timeout_seconds,
        )
    else:
        backend = OutboxOnlySender()
    return ListUnsubscribe(backend, make_signer(settings), settings.public_base_url)


def build_worker(
    client: Client, settings: Settings, sessions: SessionFactory, sender: EmailSender | None = None
) -> Worker:
    sender = sender or make_sender(settings)
    signer, renderer = make_signer(settings), EmailRenderer()
    activities = [
        *JourneyActivities(sessions, sender, signer, renderer, settings).all(),
        *IntroActivities(sessions, sender, signer, renderer, settings).all(),
        *FeedbackActivities(sessions, sender, signer, renderer, settings).all(),
        *SweeperActivities(sessions, sender, signer, renderer, settings).all(),
    ]
    return Worker(client, task_queue=settings.task_queue, workflows=WORKFLOWS, activities=activities)


async def run(settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    try:
        client = await connect(settings)
        await ensure_sweep_schedule(client, settings)
        sessions = make_sessionmaker(engine)
        async with serving(probe_app(sessions, client), settings.worker_http_host, settings.worker_http_port):
            await build_worker(client, settings, sessions).run()
    finally:
        await engine.dispose()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    asyncio.run(run(get_settings()))
