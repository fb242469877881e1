"""Production logs: one JSON object per line, with the request id, and never a link token."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from db.session import SessionFactory
from domain.links import StepClaims
from observability.logs import JsonFormatter, configure_logging
from tests.api.test_access_log import free_port
from tests.factories import settings_for
from wiring import make_signer

pytestmark = pytest.mark.e2e


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """configure_logging as `cosell api` runs it in production, writing to a buffer; restored after."""
    names = ("", "uvicorn", "uvicorn.access", "uvicorn.error")
    saved = [(lg, list(lg.handlers), lg.propagate, lg.level) for lg in map(logging.getLogger, names)]
    stream = io.StringIO()
    configure_logging("json", stream)
    yield stream
    for logger, handlers, propagate, level in saved:
        logger.handlers, logger.propagate = handlers, propagate
        logger.setLevel(level)


async def test_a_link_page_request_logs_json_with_its_request_id_and_no_token(
    dev_env: WorkflowEnvironment, sqlite_sessions: SessionFactory, json_log: io.StringIO
) -> None:
    port = free_port()
    settings = settings_for(sqlite_sessions, api_port=port)
    step = make_signer(settings).sign_step(StepClaims(journey_id="journey/c/p", step_key="icp"))
    server = uvicorn.Server(uvicorn.Config(create_app(settings, dev_env.client), port=port, log_config=None))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn exposes a flag, not an event
        await asyncio.sleep(0.02)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            answer = await http.get(f"/p/{step}?utm_source=email", headers={"X-Request-ID": "req-42"})
            logging.getLogger("cosell.test").warning("visited %s", f"/p/{step}")  # a careless log call
    finally:
        server.should_exit = True
        await task
    output = json_log.getvalue()
    lines = [json.loads(line) for line in output.splitlines()]
    access = [line for line in lines if line["logger"] == "uvicorn.access"]
    assert answer.headers["x-request-id"] == "req-42"
    assert len(access) == 1 and access[0]["request_id"] == "req-42", lines
    assert '"GET /p/<redacted>?utm_source=email HTTP/1.1" 404' in access[0]["message"], access
    assert any(line["message"] == "visited /p/<redacted>" for line in lines), lines
    assert step not in output and step.split(".")[0] not in output


def test_worker_lines_carry_the_workflow_and_journey_ids() -> None:
    record = logging.LogRecord("temporalio.activity", logging.INFO, __file__, 1, "sent %s", ("/p/abc.def",), None)
    record.temporal_activity = {"workflow_id": "journey/c1/p1", "run_id": "r1", "activity_type": "send_step_email"}
    line = json.loads(JsonFormatter().format(record))
    assert line["journey_id"] == line["workflow_id"] == "journey/c1/p1" and line["run_id"] == "r1"
    assert line["message"] == "sent /p/<redacted>"
