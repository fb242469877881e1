"""/metrics: requests counted per route template (never a token or an id), outbox and journey counts from
the read model, provider send latency, and the Temporal SDK's own worker metrics."""

from __future__ import annotations

import asyncio
import socket
import uuid

import httpx
from prometheus_client import REGISTRY
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from db.session import SessionFactory
from domain.links import StepClaims
from mail import deliver
from observability.metrics import TimedSender, temporal_runtime
from tests.api.helpers import api_client
from tests.factories import settings_for
from tests.mail.helpers import CountingSender, queue
from tests.workflows.helpers import running_worker
from wiring import make_signer
from workflows.sweeper import OutboxSweepWorkflow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_requests_are_counted_per_route_template_and_no_token_is_exposed(
    dev_env: WorkflowEnvironment, sessions: SessionFactory
) -> None:
    settings = settings_for(sessions)
    token = make_signer(settings).sign_step(StepClaims(journey_id="journey/c-secret/p-secret", step_key="icp"))
    cohort_id = str(uuid.uuid4())
    await queue(sessions)
    async with api_client(settings, dev_env.client) as api:
        await api.get(f"/p/{token}")
        await api.get(f"/api/v1/cohorts/{cohort_id}/progress")
        await api.get(f"/no/such/{token}")
        exposition = (await api.get("/metrics")).text
    assert 'route="/p/{token}"' in exposition, exposition
    assert 'route="/api/v1/cohorts/{cohort_id}/progress",status="404"' in exposition
    assert 'route="unmatched"' in exposition
    assert token not in exposition and token.split(".")[0] not in exposition and cohort_id not in exposition
    assert 'cosell_outbox_emails{status="pending"} 1.0' in exposition, exposition


async def test_send_latency_is_recorded_per_provider_and_outcome(sessions: SessionFactory) -> None:
    labels = {"provider": "counting", "outcome": "accepted"}
    before = REGISTRY.get_sample_value("cosell_email_send_duration_seconds_count", labels) or 0
    assert await deliver(sessions, TimedSender(CountingSender()), await queue(sessions), None) == "sent"
    assert REGISTRY.get_sample_value("cosell_email_send_duration_seconds_count", labels) == before + 1


async def test_the_worker_exports_the_temporal_sdk_metrics(
    dev_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
) -> None:
    port = free_port()
    runtime = temporal_runtime("127.0.0.1", port)
    target = dev_env.client.service_client.config.target_host
    client = await Client.connect(target, data_converter=pydantic_data_converter, runtime=runtime)
    settings = settings_for(sqlite_sessions)
    async with running_worker(client, settings, sqlite_sessions):
        await client.execute_workflow(
            OutboxSweepWorkflow.run, id=f"sweep-{uuid.uuid4()}", task_queue=settings.task_queue
        )
    seen = ""
    async with httpx.AsyncClient() as http:
        for _ in range(100):  # the exporter publishes asynchronously: up to ~10 s
            seen = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
            if "temporal_workflow_completed" in seen:
                break
            await asyncio.sleep(0.1)
    assert "temporal_workflow_completed" in seen and f'task_queue="{settings.task_queue}"' in seen, seen[-2000:]
