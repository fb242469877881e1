from __future__ import annotations

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
    async def test_preview_endpoint_runs_a_simulated_window(
        self, dev_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
    ) -> None:
        async with api_client(settings_for(sqlite_sessions), dev_env.client) as api:
            response = await api.post("/api/v1/playbooks/quickstart-14d/preview?partners=3", timeout=120)
            assert response.status_code == 200, response.text
            body = response.json()
            statuses = {o["partner"].split(" (")[1].split(",")[0]: o["status"] for o in body["outcomes"]}
            assert statuses["prompt"] == "completed" and statuses["silent"] == "exited"
            assert body["days"][0]["day"] == 0 and body["days"][0]["counts"]["invites"] >= 3
            assert 0 < body["max_history_events_per_run"] < 4096
            assert (await api.post("/api/v1/playbooks/nope/preview")).status_code == 404
            assert (await api.post("/api/v1/playbooks/quickstart-14d/preview?partners=0")).status_code == 422
