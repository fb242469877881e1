"""Link tokens never reach the access log: a real uvicorn server, its real access-log records."""

from __future__ import annotations

import asyncio
import logging
import socket

import httpx
import pytest
import uvicorn
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from db.session import SessionFactory
from domain.links import StepClaims, UnsubscribeClaims
from observability.logs import redact
from tests.factories import settings_for
from tests.waiting import eventually
from wiring import make_signer

pytestmark = pytest.mark.e2e


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_uvicorn_access_log_carries_no_link_token(
    dev_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
) -> None:
    port = free_port()
    settings = settings_for(sqlite_sessions, api_port=port)
    signer = make_signer(settings)
    step = signer.sign_step(StepClaims(journey_id="journey/c/p", step_key="icp"))
    unsubscribe = signer.sign_unsubscribe(UnsubscribeClaims(outbox_id="o-1"))
    # uvicorn's own default logging config, access log on: exactly what `cosell api` runs.
    server = uvicorn.Server(uvicorn.Config(create_app(settings, dev_env.client), port=port, log_level="info"))
    task = asyncio.create_task(server.serve())

    async def listening() -> bool:  # uvicorn exposes a flag, not an event
        assert not task.done(), task  # it stopped: the port, the app or the config is wrong
        return server.started

    await eventually(listening, what="uvicorn listening", interval=0.02)
    capture = Capture()
    logging.getLogger("uvicorn.access").addHandler(capture)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            await http.get(f"/p/{step}?utm_source=email")
            await http.post(f"/p/{step}", data={"csrf": "x"})
            await http.post(f"/p/{step}/fresh-link", data={"csrf": "x"})
            await http.get(f"/p/unsubscribe/{unsubscribe}")
            await http.get("/p/done")
    finally:
        logging.getLogger("uvicorn.access").removeHandler(capture)
        server.should_exit = True
        await task
    assert len(capture.lines) == 5, capture.lines
    text = "\n".join(capture.lines)
    assert step not in text and unsubscribe not in text and step.split(".")[0] not in text
    assert '"GET /p/<redacted>?utm_source=email HTTP/1.1" 404' in text
    assert '"POST /p/<redacted>/fresh-link HTTP/1.1" 403' in text
    assert '"GET /p/unsubscribe/<redacted> HTTP/1.1" 404' in text and '"GET /p/done HTTP/1.1" 200' in text


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("GET /p/eyJq.abc.def HTTP/1.1", "GET /p/<redacted> HTTP/1.1"),
        ("/p/eyJq.abc/fresh-link", "/p/<redacted>/fresh-link"),
        ("/p/unsubscribe/eyJv.x.y?z=1", "/p/unsubscribe/<redacted>?z=1"),
        ("/p/done", "/p/done"),
        ("/api/v1/cohorts/abc", "/api/v1/cohorts/abc"),
        ("POST /signin/eyJsIjoi.x.y HTTP/1.1", "POST /signin/<redacted> HTTP/1.1"),
        ("GET /signin?next=/cohorts HTTP/1.1", "GET /signin?next=/cohorts HTTP/1.1"),
        ('Referer "https://host/p/eyJq.a.b"', 'Referer "https://host/p/<redacted>"'),
    ],
)
def test_redact(line: str, expected: str) -> None:
    assert redact(line) == expected
