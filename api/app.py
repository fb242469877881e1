"""The FastAPI application: PM JSON API, partner link pages, dev inbox, health."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import text
from temporalio.client import Client

from api import errors
from api.cohorts.endpoints import router as cohorts_router
from api.deps import SessionDep
from api.dev.endpoints import router as dev_router
from api.partner_pages.endpoints import router as pages_router
from api.playbooks.endpoints import router as playbooks_router
from db.session import make_engine, make_sessionmaker
from settings import Settings, get_settings
from worker import connect, make_signer


class RedactLinkTokens(logging.Filter):
    """Access logs must never carry the capability token of a step link."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) >= 3 and isinstance(record.args[2], str):
            path = record.args[2]
            if path.startswith("/p/"):
                record.args = (*record.args[:2], "/p/<redacted>", *record.args[3:])
        return True


def create_app(settings: Settings | None = None, temporal: Client | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        app.state.sessions = make_sessionmaker(engine)
        app.state.temporal = temporal or await connect(settings)
        logging.getLogger("uvicorn.access").addFilter(RedactLinkTokens())
        yield
        await engine.dispose()

    app = FastAPI(
        title="cosell",
        version="0.1.0",
        lifespan=lifespan,
        description="Co-sell activation engine: cohorts, activation windows, playbooks, partner pages.",
    )
    app.state.settings = settings
    app.state.signer = make_signer(settings)
    errors.install(app)
    app.include_router(cohorts_router)
    app.include_router(playbooks_router)
    app.include_router(pages_router)
    if settings.dev_tools_enabled:
        app.include_router(dev_router)

    @app.get("/healthz", tags=["health"])
    async def healthz(session: SessionDep) -> dict[str, str]:
        await session.execute(text("SELECT 1"))
        return {"status": "ok"}

    return app
