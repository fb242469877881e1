from __future__ import annotations

import asyncio
import os
import queue
import shutil
import sqlite3
import sys
import threading
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


# Under `make test` (two xdist workers) the chaos group runs on one worker, one test after another: each
# kills and restarts servers under load, and two at once would only slow each other past their deadlines.
HEAVY = ("tests/chaos/",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.nodeid.startswith(HEAVY):
            item.add_marker(pytest.mark.xdist_group("heavy"))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The chaos group's counts (tests/chaos/conftest.py puts them on each test's report). Here, not in that
    conftest: under xdist the controller process that prints the summary never loads it."""
    reports = [r for key in ("passed", "failed") for r in terminalreporter.stats.get(key, [])]
    lines = [value for r in reports for name, value in getattr(r, "user_properties", []) if name == "chaos"]
    if lines:
        terminalreporter.section("chaos: what survived")
        for line in lines:
            terminalreporter.write_line(str(line))


def _binary(name: str) -> str:
    found = shutil.which(name) or str(Path(sys.executable).parent / name)
    assert Path(found).exists(), f"{name} not installed; run `make test`, which installs the dev extras"
    return found


class PostgresServer:
    """One throwaway database per test that asks for one. A migrated database is cloned from a template
    built once per run (migrating and publishing took 5-9 s per test); databases are dropped by a
    background thread because each DROP DATABASE waits for a checkpoint (1-3 s on a busy machine)."""

    def __init__(self) -> None:
        self.created: list[str] = []
        self._template: str | None = None
        self._drops: queue.Queue[str | None] = queue.Queue()
        self._dropper = threading.Thread(target=lambda: asyncio.run(self._drop_queued()), daemon=True)
        self._dropper.start()

    async def new_database(self, *, migrated: bool = False) -> str:
        name = f"cosell_test_{uuid.uuid4().hex[:12]}"
        template = f' TEMPLATE "{await self._migrated_template()}"' if migrated else ""
        conn = await asyncpg.connect(PG_ADMIN)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"{template}')
        finally:
            await conn.close()
        self.created.append(name)
        return _url(name)

    async def _migrated_template(self) -> str:
        if self._template is None:
            name = f"cosell_test_template_{uuid.uuid4().hex[:12]}"
            conn = await asyncpg.connect(PG_ADMIN)
            try:
                await conn.execute(f'CREATE DATABASE "{name}"')
            finally:
                await conn.close()
            self.created.append(name)
            await _migrate_and_publish(_url(name))
            self._template = name
        return self._template

    async def drop(self, url: str) -> None:
        self._drops.put(url.rsplit("/", 1)[1])

    async def _drop_queued(self) -> None:
        while (name := self._drops.get()) is not None:
            conn = await asyncpg.connect(PG_ADMIN)
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await conn.close()
            self.created.remove(name)

    def drop_all(self) -> None:
        """Waits for the queued drops, then drops what is left (the template, or a failed teardown's)."""
        self._drops.put(None)
        self._dropper.join()
        _in_thread(self._drop_left())

    async def _drop_left(self) -> None:
        conn = await asyncpg.connect(PG_ADMIN)
        try:
            for name in self.created:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


def _url(name: str) -> str:
    return PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{name}"


async def _migrate_and_publish(url: str) -> None:
    engine = make_engine(url)
    try:
        await upgrade(engine)
        await publish_shipped(make_sessionmaker(engine))
    finally:
        await engine.dispose()


class SqliteTemplate:
    """A migrated SQLite file with the shipped playbooks published, built once and copied per test."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "template.db"
        self._built = False

    async def copy_to(self, target: Path) -> None:
        if not self._built:
            await _migrate_and_publish(f"sqlite+aiosqlite:///{self.path}")
            with sqlite3.connect(self.path) as conn:  # fold the WAL into the file so one copy is whole
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._built = True
        shutil.copyfile(self.path, target)


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
    server.drop_all()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplate:
    return SqliteTemplate(tmp_path_factory.mktemp("sqlite-template"))


@pytest_asyncio.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """Empty, or already migrated and published when the test also asks for `sessions`."""
    migrated = "sessions" in request.fixturenames
    if request.param == "sqlite":
        if migrated:
            await request.getfixturevalue("sqlite_template").copy_to(tmp_path / "cosell.db")
        yield f"sqlite+aiosqlite:///{tmp_path / 'cosell.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    url = await server.new_database(migrated=migrated)
    yield url
    await server.drop(url)


@pytest_asyncio.fixture
async def sessions(db_url: str) -> AsyncIterator[SessionFactory]:
    """A migrated database with the shipped playbooks published (`db_url` cloned it from the template)."""
    engine = make_engine(db_url)
    yield make_sessionmaker(engine)
    await engine.dispose()


@pytest_asyncio.fixture
async def sqlite_sessions(tmp_path: Path, sqlite_template: SqliteTemplate) -> AsyncIterator[SessionFactory]:
    await sqlite_template.copy_to(tmp_path / "cosell.db")
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'cosell.db'}")
    yield make_sessionmaker(engine)
    await engine.dispose()


# The SDK waits 5 s for a server to answer; a busy 2-core machine was seen to need more.
SERVER_STARTUP = timedelta(seconds=60)


async def start_time_skipping() -> WorkflowEnvironment:
    return await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        interceptors=[StartedWorkflows()],
        test_server_existing_path=_binary("temporal-test-server"),
        test_server_startup_timeout=SERVER_STARTUP,
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
        dev_server_startup_timeout=SERVER_STARTUP,
    )
    yield env
    await env.shutdown()
