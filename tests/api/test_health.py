"""Liveness and readiness: /healthz touches nothing, /readyz answers 503 and says why when a dependency is down."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
from alembic.script import ScriptDirectory
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from db.migrate import alembic_config, upgrade
from db.session import SessionFactory, make_engine
from observability.server import probe_app, serving
from settings import Settings
from tests.api.helpers import api_client
from tests.factories import settings_for
from tests.waiting import eventually


def closed_port() -> int:
    """A port nothing listens on: bound, then released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def one_before_head() -> str:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    [head] = script.get_heads()
    previous = script.get_revision(head).down_revision
    assert isinstance(previous, str)
    return previous


async def test_ready_when_database_migrations_and_temporal_are(
    dev_env: WorkflowEnvironment, sessions: SessionFactory
) -> None:
    async with api_client(settings_for(sessions), dev_env.client) as api:
        assert (await api.get("/healthz")).json() == {"status": "ok"}
        ready = await api.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"database": "ok", "migrations": "ok", "temporal": "ok"}


async def test_database_down_is_not_ready_but_alive(dev_env: WorkflowEnvironment) -> None:
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{closed_port()}/cosell"
    settings = Settings(environment="test", database_url=url, data_dir=Path("/nonexistent"))
    async with api_client(settings, dev_env.client) as api:
        assert (await api.get("/healthz")).status_code == 200  # liveness must not restart us for this
        ready = await api.get("/readyz")
    assert ready.status_code == 503, ready.text
    checks = ready.json()["checks"]
    assert checks["database"] != "ok" and checks["migrations"] == "not checked: no database", checks
    assert checks["temporal"] == "ok", checks


async def test_migrations_behind_head_are_not_ready(dev_env: WorkflowEnvironment, tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    await upgrade(engine, one_before_head())
    settings = Settings(environment="test", database_url=engine.url.render_as_string(), data_dir=tmp_path)
    try:
        async with api_client(settings, dev_env.client) as api:
            ready = await api.get("/readyz")
        assert ready.status_code == 503, ready.text
        checks = ready.json()["checks"]
        assert checks["database"] == "ok" and one_before_head() in checks["migrations"], checks
        await upgrade(engine)
        async with api_client(settings, dev_env.client) as api:
            assert (await api.get("/readyz")).status_code == 200
    finally:
        await engine.dispose()


async def test_temporal_down_is_not_ready(sessions: SessionFactory) -> None:
    nowhere = await Client.connect(f"127.0.0.1:{closed_port()}", data_converter=pydantic_data_converter, lazy=True)
    async with api_client(settings_for(sessions), nowhere) as api:
        ready = await api.get("/readyz")
    assert ready.status_code == 503, ready.text
    assert ready.json()["checks"]["temporal"] != "ok" and ready.json()["checks"]["database"] == "ok"


async def test_the_worker_serves_the_same_probes_on_its_port(
    dev_env: WorkflowEnvironment, sessions: SessionFactory
) -> None:
    port = closed_port()
    app = probe_app(sessions, dev_env.client)
    async with serving(app, "127.0.0.1", port), httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        alive = await wait_for_answer(http, "/healthz")
        ready = await http.get("/readyz")
    assert (alive.status_code, alive.json()) == (200, {"status": "ok"})
    assert ready.status_code == 200 and ready.json()["checks"]["migrations"] == "ok", ready.text


async def wait_for_answer(http: httpx.AsyncClient, path: str) -> httpx.Response:
    async def answered() -> httpx.Response:  # the server starts in the background
        try:
            return await http.get(path)
        except httpx.ConnectError as exc:
            raise AssertionError(f"not listening yet: {exc}") from exc

    return await eventually(answered, what=f"{path} answers")
