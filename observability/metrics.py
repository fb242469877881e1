"""Prometheus metrics for the API and the worker (prometheus-client), served at /metrics.

Labels are bounded sets: HTTP requests are counted per route template (`/p/{token}`), never per raw
path, so no link token and no id can reach a label. Outbox and journey counts are read from the read
model when /metrics is scraped (two GROUP BY queries); every replica reports the same numbers, so
aggregate them with max(), not sum(). The Temporal SDK's own worker metrics come from its runtime's
exporter on a port of their own (settings.worker_temporal_metrics_port).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from sqlalchemy import func, select
from starlette.routing import Match
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from db.models import EmailOutbox, Journey
from db.session import SessionFactory, transaction
from mail.sender import (
    AmbiguousSendError,
    EmailSender,
    OutboundEmail,
    PermanentSendError,
    TransientSendError,
)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

HTTP_REQUESTS = Counter("cosell_http_requests", "HTTP requests answered", ["method", "route", "status"])
HTTP_LATENCY = Histogram("cosell_http_request_duration_seconds", "Time to answer an HTTP request", ["method", "route"])
EMAIL_SENDS = Histogram(
    "cosell_email_send_duration_seconds", "Time the email provider took per send", ["provider", "outcome"]
)
WEBHOOK_EVENTS = Counter(
    "cosell_webhook_events", "Provider webhook events in verified deliveries, by what became of them", ["result"]
)
OUTBOX = Gauge("cosell_outbox_emails", "Outbox rows by status (read model)", ["status"])
JOURNEYS = Gauge("cosell_journeys", "Partner journeys by status (read model)", ["status"])

router = APIRouter(tags=["health"])


def route_template(request: Request) -> str:
    """The matched route's path template; requests that match no route share one label."""
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    for candidate in request.app.router.routes:  # a 404/405 answered before routing recorded a route
        if candidate.matches(request.scope)[0] == Match.FULL:
            return str(getattr(candidate, "path", "unmatched"))
    return "unmatched"


async def measure_http(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    started = time.perf_counter()
    status = 500  # an exception escaping the app is answered 500 by the server
    try:
        response = await call_next(request)
        status = response.status_code
        return response
    finally:
        method = request.method if request.method in METHODS else "other"
        route = route_template(request)
        HTTP_LATENCY.labels(method, route).observe(time.perf_counter() - started)
        HTTP_REQUESTS.labels(method, route, str(status)).inc()


def count_webhook_events(received: int, new: int, ignored: int) -> None:
    WEBHOOK_EVENTS.labels("new").inc(new)
    WEBHOOK_EVENTS.labels("duplicate").inc(received - new - ignored)
    WEBHOOK_EVENTS.labels("ignored").inc(ignored)


async def refresh_read_model_gauges(sessions: SessionFactory) -> None:
    async with transaction(sessions) as session:
        outbox = (await session.execute(select(EmailOutbox.status, func.count()).group_by(EmailOutbox.status))).all()
        journeys = (await session.execute(select(Journey.status, func.count()).group_by(Journey.status))).all()
    for gauge, rows in ((OUTBOX, outbox), (JOURNEYS, journeys)):
        gauge.clear()  # a status with no rows left must read 0, not its last value
        for status, count in rows:
            gauge.labels(status).set(count)


class TimedSender:
    """Wraps the email backend to time each provider call, labelled by how it ended."""

    OUTCOMES = ((PermanentSendError, "rejected"), (TransientSendError, "transient"), (AmbiguousSendError, "ambiguous"))

    def __init__(self, inner: EmailSender):
        self.inner, self.name = inner, inner.name

    async def send(self, email: OutboundEmail) -> str:
        started, outcome = time.perf_counter(), "error"
        try:
            message_id = await self.inner.send(email)
            outcome = "accepted"
            return message_id
        except Exception as exc:
            outcome = next((label for kind, label in self.OUTCOMES if isinstance(exc, kind)), "error")
            raise
        finally:
            EMAIL_SENDS.labels(self.name, outcome).observe(time.perf_counter() - started)


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    await refresh_read_model_gauges(request.app.state.sessions)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def temporal_runtime(host: str, port: int) -> Runtime | None:
    """A Temporal runtime exporting the SDK's worker metrics (task slots, poll latencies, schedule-to-
    start, activity and workflow task failures) for Prometheus at host:port; None when port is 0."""
    if not port:
        return None
    return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=f"{host}:{port}")))
