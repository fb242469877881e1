"""OpenTelemetry tracing, off unless COSELL_OTLP_ENDPOINT names a collector.

FastAPI's instrumentation opens a span per request and the Temporal SDK's TracingInterceptor, on every
client (a worker inherits its client's interceptors), carries the context in workflow and activity
headers: one trace runs from the HTTP request through the workflow it starts or updates to its activities.

No global tracer provider is set: each process builds its own here and passes it to the app and the client,
so nothing is installed when tracing is off and a test can trace into memory without touching other tests.
"""

from __future__ import annotations

from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from temporalio.client import Interceptor
from temporalio.contrib.opentelemetry import TracingInterceptor

from settings import Settings

# Probes and scrapes every few seconds would drown the traces that matter.
UNTRACED_URLS = "/healthz,/readyz,/metrics"


def tracer_provider(settings: Settings, service: str, processor: SpanProcessor | None = None) -> TracerProvider | None:
    """The process's provider, exporting over OTLP/HTTP to settings.otlp_endpoint (or to `processor`,
    for tests); None when tracing is not configured."""
    if processor is None:
        if not settings.otlp_endpoint:
            return None
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        processor = BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{settings.otlp_endpoint.rstrip('/')}/v1/traces"))
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(processor)
    return provider


def temporal_interceptors(provider: TracerProvider | None) -> list[Interceptor]:
    return [] if provider is None else [TracingInterceptor(provider.get_tracer("cosell"))]


def instrument_app(app: FastAPI, provider: TracerProvider | None) -> None:
    if provider is not None:
        FastAPIInstrumentor.instrument_app(app, tracer_provider=provider, excluded_urls=UNTRACED_URLS)
