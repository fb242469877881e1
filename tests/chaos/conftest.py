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


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    """A test's report lines ride on its report, so they reach the summary from an xdist worker too."""
    if call.when == "call":
        item.user_properties.extend(("chaos", line) for line in REPORT)
        REPORT.clear()
    return (yield)
