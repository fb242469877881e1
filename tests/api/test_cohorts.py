from __future__ import annotations

from temporalio.testing import WorkflowEnvironment

from db.session import SessionFactory
from tests.api.helpers import api_client
from tests.factories import cohort_body, partner, settings_for
from tests.waiting import eventually
from tests.workflows.helpers import running_worker


class TestCreateCohort:
    async def test_creates_and_launches_then_progress_shows_invites(
        self, dev_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        settings = settings_for(sessions)
        body = cohort_body([partner("Alpha", "ISV", external_id="a-1"), partner("Beta", "SI", external_id="b-1")])
        async with running_worker(dev_env.client, settings, sessions), api_client(settings, dev_env.client) as api:
            created = await api.post("/api/v1/cohorts", json=body)
            assert created.status_code == 201, created.text
            cohort = created.json()
            assert cohort["partners"] == 2 and cohort["playbook"]["id"] == "quickstart-14d"
            assert cohort["window_workflow_id"] == f"window/{cohort['id']}"

            async def both_waiting() -> dict:
                progress = (await api.get(f"/api/v1/cohorts/{cohort['id']}/progress")).json()
                assert progress["by_status"].get("waiting") == 2, progress["by_status"]
                return progress

            progress = await eventually(both_waiting, what="both partners invited to their first step")
            assert [p["current_step"] for p in progress["partners"]] == ["icp", "icp"]
            assert progress["by_stage"] == {"awareness": 2}
            icp = next(s for s in progress["steps"] if s["step_key"] == "icp")
            assert (icp["invited"], icp["open"], icp["completed"]) == (2, 2, 0)
            assert (await api.get(f"/api/v1/cohorts/{cohort['id']}")).json()["status"] == "active"
            relaunch = await api.post(f"/api/v1/cohorts/{cohort['id']}/launch")
            assert relaunch.status_code == 200


class TestCohortErrors:
    async def test_malformed_requests_say_what_and_where(
        self, dev_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        settings = settings_for(sessions)
        async with api_client(settings, dev_env.client) as api:
            no_partners = await api.post("/api/v1/cohorts", json=cohort_body([]))
            assert no_partners.status_code == 422
            assert no_partners.json()["detail"][0]["path"] == "partners"
            bad = partner("Gamma", "Reseller", timezone="Mars/Base", country="Atlantis")
            bad["contacts"][0]["email"] = "not-an-email"
            wrong = await api.post("/api/v1/cohorts", json=cohort_body([bad]))
            paths = {d["path"] for d in wrong.json()["detail"]}
            assert paths == {
                "partners.0.type",
                "partners.0.timezone",
                "partners.0.country",
                "partners.0.contacts.0.email",
            }
            dup = await api.post(
                "/api/v1/cohorts", json=cohort_body([partner("A", external_id="x"), partner("B", external_id="x")])
            )
            assert dup.status_code == 422 and dup.json()["detail"] == {"external_ids": ["x"]}

    async def test_unknown_playbook_and_cohort_are_404_and_nothing_is_written(
        self, dev_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        settings = settings_for(sessions)
        async with api_client(settings, dev_env.client) as api:
            missing = await api.post("/api/v1/cohorts", json=cohort_body([partner()], playbook_id="nope"))
            assert missing.status_code == 404
            assert missing.json() == {"error": "playbook 'nope' is not published", "detail": {"playbook_id": "nope"}}
            assert (await api.get("/api/v1/cohorts/does-not-exist/progress")).status_code == 404
            pinned = await api.post("/api/v1/cohorts", json=cohort_body([partner()], playbook_version=9))
            assert pinned.status_code == 404 and "version 9" in pinned.json()["error"]

    async def test_api_key_is_required(self, dev_env: WorkflowEnvironment, sessions: SessionFactory) -> None:
        async with api_client(settings_for(sessions), dev_env.client) as api:
            response = await api.post(
                "/api/v1/cohorts", json=cohort_body([partner()]), headers={"Authorization": "Bearer wrong"}
            )
            assert response.status_code == 401 and response.json()["error"] == "missing or invalid API key"
            api.headers.pop("Authorization")
            assert (await api.get("/api/v1/playbooks")).status_code == 401
