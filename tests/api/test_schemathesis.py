"""Schemathesis fuzzes the running API against its own OpenAPI document (issue 15, defect 5).

The API runs under uvicorn on Postgres and the Temporal dev server, with a cohort, a partner, a
contact, a program and a deal in it; path parameters take those ids most of the time (schemathesis
dictionaries), so routes with ids reach their handlers, not only their 404. `schemathesis run` then
runs every check (`--checks all`) in the examples, fuzzing and stateful phases, seeded and bounded by
MAX_EXAMPLES. The coverage phase is left out: it is not bounded by the example budget (every boundary
and enum value: the time zone and country enums alone made it ~4,400 requests, over 4 minutes).
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import threading
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
import pytest_asyncio
import uvicorn
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from db.migrate import upgrade
from db.session import make_engine, make_sessionmaker
from embedded import publish_shipped
from settings import DEV_API_KEY, Settings
from tests.conftest import PG_ADMIN, PostgresServer
from tests.factories import cohort_body, partner

ROOT = Path(__file__).resolve().parents[2]
HOOKS = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.api.schemathesis_hooks", "PYTHONPATH": str(ROOT)}
MAX_EXAMPLES = 5  # per operation in the fuzzing and stateful phases: about a minute on 2 cores
SEED = 15


class LiveApi:
    """uvicorn in a thread of its own (its own event loop), on a port the OS picked."""

    def __init__(self, settings: Settings) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        config = uvicorn.Config(create_app(settings), log_level="warning", timeout_graceful_shutdown=1)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True)

    def __enter__(self) -> LiveApi:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.socket.close()


async def _started(api: LiveApi) -> None:
    async with httpx.AsyncClient(base_url=api.url) as client:
        for _ in range(300):
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"the API at {api.url} did not become ready in 30 s")


async def _seed(url: str) -> dict[str, list[str | int]]:
    """One of everything a path names, made through the API itself."""
    pm = {"Authorization": f"Bearer {DEV_API_KEY}"}
    async with httpx.AsyncClient(base_url=url, headers=pm) as api:
        cohort = (await api.post("/api/v1/cohorts", json=cohort_body([partner()]))).raise_for_status().json()
        program = (await api.get("/api/v1/programs")).raise_for_status().json()[0]
        partner_id = (await api.get("/api/v1/partners")).raise_for_status().json()["partners"][0]["id"]
        contact = (await api.get(f"/api/v1/partners/{partner_id}")).raise_for_status().json()["contacts"][0]
        deal = {"program": program["id"], "partner_id": partner_id, "account_name": "Contoso"}
        deal["partner_role"] = "sourced"
        deal_id = (await api.post("/api/v1/deals", json=deal)).raise_for_status().json()["id"]
    return {
        "cohort_id": [cohort["id"]],
        "partner_id": [partner_id],
        "contact_id": [contact["id"]],
        "program_id": [program["id"]],
        "deal_id": [deal_id],
        # No playbook_id: each accepted POST .../preview starts a dry run (a time-skipping Temporal
        # server and a worker) in the API process, which outlived the test.
    }


# Rules JSON Schema cannot state, so a schema-valid request may rightly get a 422 here (each says why);
# every other check still runs on these operations.
SEMANTIC_422 = """
[[operations]]
# a window cannot start more than an hour in the past, nor end before it starts
include-path = ["/api/v1/cohorts", "/api/v1/cohorts/{cohort_id}/clone"]
include-method = "POST"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422"]

[[operations]]
# `after` is a cursor this list handed out, not any string
include-path = "/api/v1/cohorts/{cohort_id}/partners"
include-method = "GET"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422"]

[[operations]]
# the body is a YAML rubric, validated like a playbook
include-path = "/api/v1/programs/{program_id}/rubric"
include-method = "PUT"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422"]

[[operations]]
# `mapping` is a JSON object inside a form field
include-path = ["/api/v1/deals/import", "/api/v1/account-executives/import", "/api/v1/vendor-accounts/import"]
include-method = "POST"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422"]
"""


def _config(ids: dict[str, list[str | int]]) -> str:
    """schemathesis.toml: the seeded ids as dictionaries that path parameters draw from 80% of the time."""
    lines = []
    for name, values in ids.items():
        listed = ", ".join(f'"{v}"' if isinstance(v, str) else str(v) for v in values)
        lines += [f"[dictionaries.{name}]", f"values = [{listed}]", ""]
    lines.append("[parameters]")
    lines += [f'"path.{name}" = {{ dictionary = "{name}", probability = 0.8 }}' for name in ids]
    return "\n".join(lines) + "\n" + SEMANTIC_422


@pytest_asyncio.fixture
async def live_api(postgres: PostgresServer, dev_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[LiveApi]:
    url = await postgres.new_database()
    admin = await asyncpg.connect(PG_ADMIN)
    try:  # thousands of one-row commits: not waiting for each to reach the disk halves the run
        await admin.execute(f'ALTER DATABASE "{url.rsplit("/", 1)[1]}" SET synchronous_commit = off')
    finally:
        await admin.close()
    engine = make_engine(url)
    await upgrade(engine)
    await publish_shipped(make_sessionmaker(engine))
    await engine.dispose()
    settings = Settings(
        environment="test",
        database_url=url,
        temporal_address=dev_env.client.service_client.config.target_host,
        task_queue=f"tq-{uuid.uuid4()}",  # no worker polls it: started workflows wait, the API answers
        data_dir=tmp_path,
        dev_inbox=False,
    )
    with LiveApi(settings) as api:
        await _started(api)
        yield api
    await postgres.drop(url)


def _command(api: LiveApi, config: Path) -> list[str]:
    return [
        str(Path(sys.executable).parent / "schemathesis"),
        "--config-file",
        str(config),
        "run",
        f"{api.url}/openapi.json",
        "--checks",
        "all",
        "--phases",
        "examples,fuzzing,stateful",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--generation-database",
        "none",
        "--workers",
        "2",
        "--header",
        f"Authorization: Bearer {DEV_API_KEY}",
        "--request-timeout",
        "20",
        "--no-color",
    ]


@pytest.mark.postgres
@pytest.mark.timeout(300)
async def test_schemathesis_finds_no_failure(live_api: LiveApi, tmp_path: Path) -> None:
    config = tmp_path / "schemathesis.toml"
    config.write_text(_config(await _seed(live_api.url)))
    log = tmp_path / "schemathesis.log"
    with log.open("wb") as out:
        run = await asyncio.create_subprocess_exec(
            *_command(live_api, config), stdout=out, stderr=out, cwd=tmp_path, env=HOOKS
        )
        await run.wait()
    output = log.read_bytes()
    assert run.returncode == 0, output.decode()
