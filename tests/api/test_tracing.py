"""OpenTelemetry tracing: configured, one API request that starts a workflow gives one trace from the HTTP
span through the workflow to its activities; unconfigured, nothing is installed on the app or the client."""

from __future__ import annotations

from collections.abc import Sequence

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from db.session import SessionFactory
from observability.tracing import tracer_provider
from tests.api.helpers import PM
from tests.factories import cohort_body, partner, settings_for
from tests.waiting import eventually
from tests.workflows.helpers import running_worker
from wiring import connect


def ancestry(span: ReadableSpan, spans: Sequence[ReadableSpan]) -> list[str]:
    """Names from `span` up through its parents, as far as the recorded spans go."""
    by_id = {s.context.span_id: s for s in spans}
    names = [span.name]
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        names.append(span.name)
    return names


def instrumented(app: FastAPI) -> bool:
    """FastAPIInstrumentor wraps the middleware stack when it is built and marks the app it did that to."""
    return bool(getattr(app, "_is_instrumented_by_opentelemetry", False))


@pytest.mark.timeout(120)
async def test_one_trace_runs_from_the_request_through_the_workflow_to_its_activities(
    dev_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
) -> None:
    target = dev_env.client.service_client.config.target_host
    settings = settings_for(sqlite_sessions, temporal_address=target)
    exporter = InMemorySpanExporter()
    tracer = tracer_provider(settings, "cosell-test", SimpleSpanProcessor(exporter))
    client = await connect(settings, tracer=tracer)
    app = create_app(settings, client, tracer)
    async with running_worker(client, settings, sqlite_sessions), app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=PM) as api:
            created = await api.post("/api/v1/cohorts", json=cohort_body([partner("Alpha", "ISV")]))
            assert created.status_code == 201, created.text
            await api.get("/healthz")

        def request_span() -> ReadableSpan:
            [span] = [s for s in exporter.get_finished_spans() if s.name == "POST /api/v1/cohorts"]
            return span

        async def an_activity_under_the_request() -> list[str]:
            spans = exporter.get_finished_spans()
            chains = [ancestry(s, spans) for s in spans if s.name.startswith("RunActivity:")]
            return next((c for c in chains if c[-1] == request_span().name), [])

        chain = await eventually(an_activity_under_the_request, what="an activity span whose root is the request")
    assert request_span().kind == SpanKind.SERVER, chain
    # The SDK's interceptor parents what a workflow does on its start span; its run span is a sibling.
    activity = chain[0].removeprefix("RunActivity:")
    assert chain[1:] == [f"StartActivity:{activity}", "StartWorkflow:ActivationWindowWorkflow", "POST /api/v1/cohorts"]
    spans = exporter.get_finished_spans()
    run = [ancestry(s, spans) for s in spans if s.name == "RunWorkflow:ActivationWindowWorkflow"]
    assert run == [["RunWorkflow:ActivationWindowWorkflow", *chain[2:]]], run
    traced = [s for s in spans if s.name in chain or s.name.startswith("RunWorkflow:")]
    assert {s.context.trace_id for s in traced} == {request_span().context.trace_id}
    assert not [s for s in exporter.get_finished_spans() if "healthz" in s.name]


async def test_unconfigured_nothing_is_installed(dev_env: WorkflowEnvironment, sqlite_sessions: SessionFactory) -> None:
    settings = settings_for(sqlite_sessions, temporal_address=dev_env.client.service_client.config.target_host)
    assert settings.otlp_endpoint == "" and tracer_provider(settings, "cosell-api") is None
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        interceptors = app.state.temporal.config()["interceptors"]
        assert not [i for i in interceptors if isinstance(i, TracingInterceptor)]
    configured = create_app(settings.model_copy(update={"otlp_endpoint": "http://127.0.0.1:4318"}))
    assert (instrumented(app), instrumented(configured)) == (False, True)
