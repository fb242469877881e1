"""The FastAPI application: PM JSON API, partner link pages, SendGrid webhook, dev inbox, health."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider
from temporalio.client import Client

from api import database_down, errors, openapi
from api.accounts.endpoints import router as accounts_router
from api.ae_pages.deals import router as ae_deals_router
from api.ae_pages.feedback import router as ae_feedback_router
from api.ae_pages.intros import router as ae_intros_router
from api.ae_pages.seller import router as ae_seller_router
from api.body_limit import BodyLimit
from api.cohorts.endpoints import router as cohorts_router
from api.dashboard import access as dashboard_access
from api.dashboard.audit_pages import router as dashboard_audit
from api.dashboard.create_pages import router as dashboard_create
from api.dashboard.deal_pages import router as dashboard_deals
from api.dashboard.experiment_pages import router as dashboard_experiments
from api.dashboard.gate_pages import router as dashboard_gates
from api.dashboard.import_pages import router as dashboard_imports
from api.dashboard.key_pages import router as dashboard_keys
from api.dashboard.pages import router as dashboard_pages
from api.dashboard.playbook_pages import router as dashboard_playbooks
from api.dashboard.review_pages import router as dashboard_reviews
from api.dashboard.signin import router as dashboard_signin
from api.dashboard.steer_pages import router as dashboard_steer
from api.dashboard.tier_pages import router as dashboard_tiers
from api.deals.endpoints import router as deals_router
from api.dev.endpoints import router as dev_router
from api.emails.endpoints import router as emails_router
from api.exports.endpoints import router as exports_router
from api.feedback.endpoints import router as trust_router
from api.intel.endpoints import router as intel_router
from api.link_pages import rate_limit
from api.link_pages.pages import keep_private
from api.metrics.endpoints import router as metrics_router
from api.partner_pages.endpoints import router as partner_pages_router
from api.partners.endpoints import router as partners_router
from api.playbooks.endpoints import router as playbooks_router
from api.programs.endpoints import router as programs_router
from api.programs.rubric import router as rubric_router
from api.programs.tier_reviews import router as tier_reviews_router
from api.subscriptions import events_doc
from api.subscriptions.endpoints import router as subscriptions_router
from api.webhooks.endpoints import router as webhooks_router
from api.webhooks.signature import WebhookVerifier
from api.win_wires.endpoints import router as win_wires_router
from db.session import make_engine, make_sessionmaker
from observability.health import router as health_router
from observability.logs import RequestIds, install_log_redaction
from observability.metrics import measure_http
from observability.metrics import router as prometheus_router
from observability.tracing import instrument_app, tracer_provider
from settings import Settings, get_settings
from wiring import connect, make_sender, make_signer


def connected(
    settings: Settings, temporal: Client | None, tracer: TracerProvider | None
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The app's lifespan: the database engine and (unless a test passed one) the Temporal client."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        app.state.sessions = make_sessionmaker(engine)
        app.state.temporal = temporal or await connect(settings, tracer=tracer)
        install_log_redaction()
        yield
        await engine.dispose()
        if tracer is not None:
            tracer.force_flush()

    return lifespan


def attach_services(app: FastAPI, settings: Settings) -> None:
    """What request handlers reach through api/deps: settings, link signer, mailer, webhook verifier."""
    app.state.settings = settings
    app.state.signer = make_signer(settings)
    # The API sends a few emails itself (fresh links, PM alerts) through the same outbox and backend.
    app.state.mailer = make_sender(settings)
    app.state.webhook_verifier = (
        WebhookVerifier(settings.sendgrid_webhook_public_key, settings.webhook_max_age_seconds)
        if settings.sendgrid_webhook_public_key
        else None
    )
    rate_limit.install(
        app,
        rate_limit.LinkLimits(
            settings.link_rate_limit_per_token, settings.link_rate_limit_per_ip, settings.link_rate_limit_window_seconds
        ),
    )


# The dashboard's pages, sign-in first.
DASHBOARD_ROUTERS = (
    dashboard_signin,
    dashboard_create,  # before the pages: /cohorts/new is not a cohort's id
    dashboard_pages,
    dashboard_steer,
    dashboard_keys,
    dashboard_gates,
    dashboard_reviews,
    dashboard_tiers,
    dashboard_experiments,
    dashboard_audit,
    dashboard_playbooks,
    dashboard_deals,
    dashboard_imports,
)


def create_app(
    settings: Settings | None = None, temporal: Client | None = None, tracer: TracerProvider | None = None
) -> FastAPI:
    """`tracer`: tests trace into memory; otherwise tracing follows settings.otlp_endpoint (off when empty)."""
    settings = settings or get_settings()
    tracer = tracer or tracer_provider(settings, "cosell-api")
    app = FastAPI(
        title="cosell",
        version="0.1.0",
        lifespan=connected(settings, temporal, tracer),
        description="Co-sell activation engine: cohorts, activation windows, playbooks, partner pages.",
    )
    attach_services(app, settings)
    install_log_redaction()
    errors.install(app)
    database_down.install(app)
    openapi.install(app)
    events_doc.document(app)
    app.include_router(cohorts_router)
    app.include_router(programs_router)
    app.include_router(win_wires_router)
    app.include_router(tier_reviews_router)
    app.include_router(rubric_router)
    app.include_router(subscriptions_router)
    app.include_router(partners_router)
    app.include_router(accounts_router)
    app.include_router(playbooks_router)
    app.include_router(deals_router)
    app.include_router(metrics_router)
    app.include_router(emails_router)
    app.include_router(partner_pages_router)
    app.include_router(ae_feedback_router)
    app.include_router(ae_intros_router)
    app.include_router(ae_deals_router)
    app.include_router(ae_seller_router)
    app.include_router(trust_router)
    app.include_router(intel_router)
    app.include_router(exports_router)
    app.include_router(webhooks_router)
    app.include_router(health_router)
    app.include_router(prometheus_router)
    dashboard_access.install(app)
    for dashboard_router in DASHBOARD_ROUTERS:
        app.include_router(dashboard_router)
    if settings.dev_tools_enabled:
        app.include_router(dev_router)

    app.add_middleware(BodyLimit)  # innermost: metrics count its refusals, keep_private adds its headers
    app.middleware("http")(measure_http)

    app.middleware("http")(keep_private)

    app.add_middleware(RequestIds)  # added last, so outermost: everything the request logs carries its id
    instrument_app(app, tracer)
    return app
