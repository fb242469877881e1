"""The worker's small HTTP port: /healthz, /readyz and /metrics, like the API's (settings.worker_http_port)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI
from temporalio.client import Client

from db.session import SessionFactory
from observability.health import router as health_router
from observability.metrics import router as prometheus_router


def probe_app(sessions: SessionFactory, temporal: Client) -> FastAPI:
    app = FastAPI(title="cosell worker", openapi_url=None, docs_url=None, redoc_url=None)
    app.state.sessions, app.state.temporal = sessions, temporal
    app.include_router(health_router)
    app.include_router(prometheus_router)
    return app


@asynccontextmanager
async def serving(app: FastAPI, host: str, port: int) -> AsyncIterator[None]:
    """Serve `app` beside the worker; port 0 serves nothing."""
    if not port:
        yield
        return
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    try:
        yield
    finally:
        server.should_exit = True
        await task
