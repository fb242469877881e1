"""The chaos group's servers: one Postgres and one on-disk Temporal dev server for the whole run (each test
has its own database and task queue on them), started here so that tests can stop and restart them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.chaos.processes import PrivatePostgres, TemporalDevServer
from tests.chaos.stack import REPORT


@pytest.fixture(scope="session")
def chaos_postgres() -> Iterator[PrivatePostgres]:
    if not list(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl")):
        message = "Debian's postgresql binaries (/usr/lib/postgresql/*/bin) are not installed"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{message} (CI requires them)", pytrace=False)
        pytest.skip(message)
    server = PrivatePostgres()
    try:
        server.start()
        yield server
    finally:
        server.remove()


@pytest.fixture(scope="session")
def chaos_temporal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TemporalDevServer]:
    server = TemporalDevServer(tmp_path_factory.mktemp("temporal"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if REPORT:
        terminalreporter.section("chaos: what survived")
        for line in REPORT:
            terminalreporter.write_line(line)
