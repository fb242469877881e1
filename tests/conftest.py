from __future__ import annotations

import asyncio
import os
import shutil
import sys
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from db.migrate import upgrade
from db.session import SessionFactory, make_engine, make_sessionmaker
from embedded import publish_shipped
from tests.pending import StartedWorkflows
from tests.timeouts import pytest_timeout_set_timer  # noqa: F401  (a hook: pytest finds it by name here)

PG_ADMIN = os.environ.get("COSELL_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")


def _binary(name: str) -> str:
    found = shutil.which(name) or str(Path(sys.executable).parent / name)
    assert Path(found).exists(), f"{name} not installed; run `make test`, which installs the dev extras"
    return found


class PostgresServer:
    """One throwaway database per test that asks for one; all dropped at the end of the run."""

    def __init__(self) -> None:
        self.created: list[str] = []

    async def new_database(self) -> str:
        name = f"cosell_test_{uuid.uuid4().hex[:12]}"
        conn = await asyncpg.connect(PG_ADMIN)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        self.created.append(name)
        return PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{name}"

    async def drop(self, url: str) -> None:
        """Dropped when its test ends: each DROP DATABASE waits for a checkpoint, and hundreds of them at the
        end of the run took longer than the last test's timeout on a loaded machine."""
        name = url.rsplit("/", 1)[1]
        conn = await asyncpg.connect(PG_ADMIN)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()
        self.created.remove(name)

    async def drop_all(self) -> None:
        """What a test left behind (its teardown failed)."""
        conn = await asyncpg.connect(PG_ADMIN)
        try:
            for name in self.created:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


def _in_thread(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine to completion whether or not this thread already runs an event loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _ping() -> None:
    conn = await asyncpg.connect(PG_ADMIN, timeout=5)
    await conn.close()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    try:
        _in_thread(_ping())
    except (OSError, asyncpg.PostgresError) as exc:
        message = f"Postgres is not reachable at {PG_ADMIN}: {exc}"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{message} (CI requires it)", pytrace=False)
        pytest.skip(message)
    server = PostgresServer()
    yield server
    _in_thread(server.drop_all())


@pytest_asyncio.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'cosell.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    url = await server.new_database()
    yield url
    await server.drop(url)


@pytest_asyncio.fixture
async def sessions(db_url: str) -> AsyncIterator[SessionFactory]:
    """A migrated database with the shipped playbooks published."""
    engine = make_engine(db_url)
    await upgrade(engine)
    factory = make_sessionmaker(engine)
    await publish_shipped(factory)
    yield factory
    await engine.dispose()


@pytest_asyncio.fixture
async def sqlite_sessions(tmp_path: Path) -> AsyncIterator[SessionFactory]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'cosell.db'}")
    await upgrade(engine)
    factory = make_sessionmaker(engine)
    await publish_shipped(factory)
    yield factory
    await engine.dispose()


async def start_time_skipping() -> WorkflowEnvironment:
    return await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        interceptors=[StartedWorkflows()],
        test_server_existing_path=_binary("temporal-test-server"),
    )


@pytest_asyncio.fixture
async def ts_env() -> AsyncIterator[WorkflowEnvironment]:
    """One time-skipping server per test: the server will not skip time past another test's
    unfinished activity, and its clock jumps after each result, so tests must not share it."""
    env = await start_time_skipping()
    await _skip_to_monday_morning(env)
    yield env
    await env.shutdown()


async def _skip_to_monday_morning(env: WorkflowEnvironment) -> None:
    """Due dates and reminders fall on business days, so a journey's timing depends on the weekday it
    starts on: every time-skipping test starts on a Monday at 09:00 UTC, whatever day the suite runs."""
    now = await env.get_current_time()
    monday = (now + timedelta(days=7 - now.weekday())).replace(hour=9, minute=0, second=0, microsecond=0)
    await env.sleep(monday - now)


@pytest_asyncio.fixture(scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter,
        interceptors=[StartedWorkflows()],
        dev_server_existing_path=_binary("temporal"),
        ui=False,
        dev_server_extra_args=["--log-level", "error"],
    )
    yield env
    await env.shutdown()
