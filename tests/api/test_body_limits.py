"""Bodies are refused before they are read: who may send one first (401/404), then how much (413),
counted as the body streams in, so a chunked upload without Content-Length stops at the limit too."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
from temporalio.testing import WorkflowEnvironment

from api.link_pages.pages import PRIVATE_HEADERS
from db.session import SessionFactory
from domain.links import StepClaims
from tests.api.helpers import api_client
from tests.factories import settings_for
from wiring import make_signer

MB = 1 << 20
JSON = {"content-type": "application/json"}
MULTIPART = {"content-type": "multipart/form-data; boundary=xyz"}


class Upload:
    """A chunked body (no Content-Length) that counts how much of it the server pulled: one
    multipart file part whose content goes on for `total` bytes."""

    def __init__(self, total: int) -> None:
        self.total, self.read, self.finished = total, 0, False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        head = b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n'
        self.read += len(head)
        yield head
        block = b"x" * MB
        while self.read < self.total:
            self.read += len(block)
            yield block
        self.finished = True


async def post(client: httpx.AsyncClient, path: str, body: Upload, **headers: Any) -> httpx.Response:
    return await client.post(path, content=body, headers=headers)


async def test_unauthenticated_uploads_and_forged_links_are_refused_without_reading_the_body(
    sqlite_sessions: SessionFactory, dev_env: WorkflowEnvironment
) -> None:
    async with api_client(settings_for(sqlite_sessions), dev_env.client) as client:
        client.headers.pop("authorization")
        for path in ("/api/v1/deals/import", "/api/v1/vendor-accounts/import", "/api/v1/cohorts"):
            body = Upload(300 * MB)
            answer = await post(client, path, body, **MULTIPART)
            assert (answer.status_code, body.read) == (401, 0), path
            assert answer.json()["error"] == "missing or invalid API key"
        for path in ("/p/not-a-token", "/p/not-a-token/fresh-link", "/p/unsubscribe/nope", "/ae/intro/forged"):
            body = Upload(300 * MB)
            answer = await post(client, path, body, **MULTIPART)
            assert (answer.status_code, body.read) == (404, 0), path
            assert "The link may be incomplete" in answer.text
            assert {k: answer.headers.get(k) for k in PRIVATE_HEADERS} == PRIVATE_HEADERS


async def test_a_chunked_body_stops_at_its_routes_limit(
    sqlite_sessions: SessionFactory, dev_env: WorkflowEnvironment
) -> None:
    settings = settings_for(sqlite_sessions)
    step = "/p/" + make_signer(settings).sign_step(StepClaims(journey_id="journey/c/p", step_key="icp"))
    async with api_client(settings, dev_env.client) as client:
        body = Upload(20 * MB)
        answer = await post(client, "/api/v1/cohorts", body, **JSON)
        assert answer.status_code == 413, answer.text
        assert answer.json()["error"] == "request body too large"
        assert body.read <= settings.max_body_bytes_partner_lists + MB  # stopped at the limit, not at the end

        body = Upload(3 * MB)
        answer = await post(client, "/api/v1/deals", body, **JSON)
        assert answer.status_code == 413 and body.read <= settings.max_body_bytes + MB

        body = Upload(41 * MB)
        answer = await post(client, step, body, **MULTIPART)
        assert answer.status_code == 413 and "too large" in answer.text
        assert body.read <= settings.max_body_bytes_step_page + MB
        assert {k: answer.headers.get(k) for k in PRIVATE_HEADERS} == PRIVATE_HEADERS


async def test_a_declared_length_over_the_limit_is_refused_before_reading(
    sqlite_sessions: SessionFactory, dev_env: WorkflowEnvironment
) -> None:
    async with api_client(settings_for(sqlite_sessions), dev_env.client) as client:
        body = Upload(20 * MB)
        answer = await post(client, "/api/v1/cohorts", body, **JSON, **{"content-length": str(20 * MB)})
        assert (answer.status_code, body.read) == (413, 0)


async def test_limits_come_from_settings_and_smaller_bodies_reach_the_endpoint(
    sqlite_sessions: SessionFactory, dev_env: WorkflowEnvironment
) -> None:
    settings = settings_for(sqlite_sessions, max_body_bytes_partner_lists=2 * MB)
    async with api_client(settings, dev_env.client) as client:
        assert (await post(client, "/api/v1/cohorts", Upload(3 * MB), **JSON)).status_code == 413
        within = await client.post("/api/v1/cohorts", content=b'{"name": ""}', headers=JSON)
        assert within.status_code == 422 and within.json()["error"] == "invalid request"
        chunked = Upload(MB)  # a chunked body under the limit is read in full and parsed
        assert (await post(client, "/api/v1/cohorts", chunked, **JSON)).status_code == 422
        assert chunked.finished
