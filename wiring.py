"""The composition root's shared half: the Temporal client connection, the mail sender and the link
signer, built the same way for the API, the worker, the embedded stack, the preview and the benchmarks.

It imports neither activities/ nor worker.py, so the API can use it without reaching into the worker;
registering activities and workflows stays in worker.py.
"""

from __future__ import annotations

from datetime import timedelta

from opentelemetry.sdk.trace import TracerProvider
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import Runtime

from domain.links import LinkSigner
from domain.webhook_targets import TargetPolicy, host_port
from mail import EmailSender
from mail import make_sender as make_mail_sender
from observability.metrics import TimedSender
from observability.tracing import temporal_interceptors
from settings import Settings


async def connect(settings: Settings, runtime: Runtime | None = None, tracer: TracerProvider | None = None) -> Client:
    # Workflow messages are pydantic models: every client must share this converter, or payloads diverge.
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
        runtime=runtime,
        interceptors=temporal_interceptors(tracer),  # a worker built on this client traces too
    )


def make_signer(settings: Settings) -> LinkSigner:
    return LinkSigner(settings.link_signing_keys, timedelta(days=settings.link_max_age_days))


def make_sender(settings: Settings) -> EmailSender:
    """The configured backend, timed per provider call for /metrics."""
    return TimedSender(make_mail_sender(settings, make_signer(settings)))


def webhook_policy(settings: Settings) -> TargetPolicy:
    """Where outbound webhooks may go: http and loopback only in development and tests, private ranges
    only outside production, never the address cosell itself serves on."""
    relaxed = settings.environment != "production"
    own = {host_port(settings.public_base_url), (settings.api_host.lower(), settings.api_port)}
    return TargetPolicy(allow_http=relaxed, allow_loopback=relaxed, allow_private=relaxed, own=frozenset(own))
