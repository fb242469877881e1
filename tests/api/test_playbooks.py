from __future__ import annotations

import asyncio
from typing import Any

import httpx
from temporalio.testing import WorkflowEnvironment

from db.session import SessionFactory
from tests.api.helpers import api_client
from tests.factories import settings_for


class TestPlaybooksApi:
    async def test_list_and_detail(self, dev_env: WorkflowEnvironment, sessions: SessionFactory) -> None:
        async with api_client(settings_for(sessions), dev_env.client) as api:
            listed = {p["id"]: p for p in (await api.get("/api/v1/playbooks")).json()}
            assert listed["cloud-cosell-90d"]["total_days"] == 90
            assert listed["cloud-cosell-90d"]["stages"] == ["awareness", "activation", "acceleration"]
            detail = (await api.get("/api/v1/playbooks/quickstart-14d")).json()
            assert detail["version"] == 1 and len(detail["sha256"]) == 64
            plays = [p["key"] for s in detail["content"]["stages"] for p in s["plays"]]
            assert plays == ["icp-basics", "first-account", "marketplace-listing"]
            assert "Why this matters" in detail["content"]["stages"][0]["plays"][0]["content"]

    async def test_unknown_playbook_or_version(self, dev_env: WorkflowEnvironment, sessions: SessionFactory) -> None:
        async with api_client(settings_for(sessions), dev_env.client) as api:
            assert (await api.get("/api/v1/playbooks/nope")).status_code == 404
            assert (await api.get("/api/v1/playbooks/quickstart-14d?version=7")).status_code == 404

    async def test_a_version_past_any_storable_one_is_a_422(
        self, dev_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        async with api_client(settings_for(sessions), dev_env.client) as api:
            for version in ("9223372036854775808", "2147483648", "0"):
                answer = await api.get(f"/api/v1/playbooks/cloud-cosell-90d?version={version}")
                assert answer.status_code == 422, (version, answer.text)
                assert [d["path"] for d in answer.json()["detail"]] == ["query.version"]

    async def test_health_and_openapi(self, dev_env: WorkflowEnvironment, sessions: SessionFactory) -> None:
        async with api_client(settings_for(sessions), dev_env.client) as api:
            assert (await api.get("/healthz")).json() == {"status": "ok"}
            paths = (await api.get("/openapi.json")).json()["paths"]
            assert "/api/v1/cohorts/{cohort_id}/progress" in paths and "/p/{token}" not in paths


class TestPreviewApi:
    async def test_preview_runs_in_the_background_and_its_report_is_fetched_when_done(
        self, dev_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
    ) -> None:
        async with api_client(settings_for(sqlite_sessions), dev_env.client) as api:
            started = await api.post("/api/v1/playbooks/quickstart-14d/preview?partners=3")
            assert started.status_code == 202, started.text
            assert started.json()["status"] == "pending" and started.headers["location"] == started.json()["href"]
            body = await finished(api, started.json()["href"])
            assert body["status"] == "done", body
            report = body["result"]
            statuses = {o["partner"].split(" (")[1].split(",")[0]: o["status"] for o in report["outcomes"]}
            assert statuses["prompt"] == "completed" and statuses["silent"] == "exited"
            judged = {o["partner"].split(" (")[1].split(",")[0]: o for o in report["outcomes"]}
            assert judged["silent"]["tier"] == 3 and judged["silent"]["signals"]["gtm_readiness"] == 0
            assert judged["prompt"]["signals"]["behavior"] > judged["silent"]["signals"]["behavior"]
            assert report["days"][0]["day"] == 0 and report["days"][0]["counts"]["invites"] >= 3
            assert 0 < report["max_history_events_per_run"] < 4096
            assert (await api.post("/api/v1/playbooks/nope/preview")).status_code == 404
            assert (await api.post("/api/v1/playbooks/quickstart-14d/preview?partners=0")).status_code == 422
            assert (await api.get("/api/v1/playbooks/previews/nope")).status_code == 404


async def finished(api: httpx.AsyncClient, href: str) -> dict[str, Any]:
    """The run takes seconds on a quiet machine; the deadline is for a loaded one."""
    deadline = asyncio.get_running_loop().time() + 300
    body: dict[str, Any] = {}
    while asyncio.get_running_loop().time() < deadline:
        body = (await api.get(href)).json()
        if body["status"] != "pending":
            return body
        await asyncio.sleep(0.2)
    raise AssertionError(f"the preview run was still pending after 300 s: {body}")
