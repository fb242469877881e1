"""Programs created, renamed and archived; cohorts listed by program, status and start date, cloned, renamed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from db.models import AuditLog
from db.repositories import cohorts as cohort_repo
from db.session import SessionFactory, transaction
from tests.api.helpers import api_client
from tests.factories import cohort_body, create_cohort, partner, settings_for
from tests.waiting import eventually
from tests.workflows.helpers import running_worker


async def actions(sessions: SessionFactory) -> list[str]:
    async with transaction(sessions) as session:
        return [a.action for a in await session.scalars(select(AuditLog).order_by(AuditLog.id))]


class TestPrograms:
    async def test_create_rename_archive(self, dev_env: WorkflowEnvironment, sessions: SessionFactory) -> None:
        async with api_client(settings_for(sessions), dev_env.client) as api:
            made = await api.post("/api/v1/programs", json={"name": "EMEA SI", "pm_email": "PM@vendor.example"})
            assert made.status_code == 201 and made.json()["pm_email"] == "pm@vendor.example", made.text
            pid = made.json()["id"]
            assert (await api.post("/api/v1/programs", json={"name": "EMEA SI"})).status_code == 409
            await api.post("/api/v1/programs", json={"name": "NA ISV"})
            renamed = await api.patch(f"/api/v1/programs/{pid}", json={"name": "EMEA Systems Integrators"})
            assert renamed.status_code == 200 and renamed.json()["name"] == "EMEA Systems Integrators"
            clash = await api.patch(f"/api/v1/programs/{pid}", json={"name": "NA ISV"})
            assert clash.status_code == 409
            archived = await api.post(f"/api/v1/programs/{pid}/archive")
            assert archived.status_code == 200 and archived.json()["archived_at"] is not None
            assert [p["name"] for p in (await api.get("/api/v1/programs")).json()] == ["NA ISV"]
            everything = await api.get("/api/v1/programs", params={"include_archived": True})
            assert [p["name"] for p in everything.json()] == ["EMEA Systems Integrators", "NA ISV"]
            refused = await api.post(
                "/api/v1/cohorts", json=cohort_body([partner()], program="EMEA Systems Integrators")
            )
            assert refused.status_code == 409 and "archived" in refused.json()["error"], refused.text
            assert (await api.post(f"/api/v1/programs/{pid}/unarchive")).json()["archived_at"] is None
        assert await actions(sessions) == [
            "program_created",
            "program_created",
            "program_changed",
            "program_archived",
            "program_unarchived",
        ]


class TestCohortList:
    async def test_filters_by_program_status_and_start(
        self, dev_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        now = datetime.now(UTC)
        old = await create_cohort(sessions, [partner("A")], starts_at=now - timedelta(days=40), name="Spring")
        new = await create_cohort(
            sessions, [partner("B"), partner("C")], starts_at=now - timedelta(days=2), name="Fall"
        )
        other = await create_cohort(sessions, [partner("D")], starts_at=now - timedelta(days=1), program="Other")
        async with transaction(sessions) as session:
            await cohort_repo.set_status(session, old.id, "closed")
            await cohort_repo.set_status(session, new.id, "active")
        async with api_client(settings_for(sessions), dev_env.client) as api:

            async def ids(**params: object) -> list[str]:
                answer = await api.get("/api/v1/cohorts", params=params)
                assert answer.status_code == 200, answer.text
                return [c["id"] for c in answer.json()["cohorts"]]

            assert await ids() == [other.id, new.id, old.id]  # newest window first
            assert await ids(program="Test program") == [new.id, old.id]
            assert await ids(status="closed") == [old.id]
            assert await ids(starts_from=(now - timedelta(days=10)).isoformat(), program="Test program") == [new.id]
            assert await ids(starts_before=(now - timedelta(days=10)).isoformat()) == [old.id]
            assert await ids(limit=1) == [other.id]
            listed = (await api.get("/api/v1/cohorts", params={"status": "active"})).json()["cohorts"][0]
            assert (listed["partners"], listed["name"], listed["program"]) == (2, "Fall", "Test program")
            assert (await api.get("/api/v1/cohorts", params={"status": "sleeping"})).status_code == 422
            assert (await api.get("/api/v1/cohorts", params={"program": "Nope"})).status_code == 404


class TestCloneAndRename:
    async def test_the_next_window_keeps_playbook_and_active_partners(
        self, dev_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        settings = settings_for(sessions)
        now = datetime.now(UTC)
        source = await create_cohort(
            sessions, [partner("A"), partner("B")], starts_at=now - timedelta(days=20), duration_days=30
        )
        async with transaction(sessions) as session:
            [gone, _] = await cohort_repo.active_members(session, source.id)
            await cohort_repo.remove_member(session, source.id, gone.id, now)
        start = now + timedelta(days=10)
        async with running_worker(dev_env.client, settings, sessions), api_client(settings, dev_env.client) as api:
            bad = await api.post(
                f"/api/v1/cohorts/{source.id}/clone",
                json={"name": "Q2", "starts_at": start.isoformat(), "ends_at": (start - timedelta(days=1)).isoformat()},
            )
            assert bad.status_code == 422 and bad.json()["detail"][0]["path"] == "ends_at", bad.text
            made = await api.post(
                f"/api/v1/cohorts/{source.id}/clone", json={"name": "Q2", "starts_at": start.isoformat()}
            )
            assert made.status_code == 201, made.text
            clone = made.json()
            assert (clone["partners"], clone["playbook"], clone["program"]) == (
                1,
                source.playbook.model_dump(),
                "Test program",
            )
            assert datetime.fromisoformat(clone["ends_at"]) - datetime.fromisoformat(clone["starts_at"]) == timedelta(
                days=30
            )

            async def scheduled() -> bool:
                status = (await api.get(f"/api/v1/cohorts/{clone['id']}")).json()["status"]
                assert status == "scheduled", status
                return True

            await eventually(scheduled, what="the clone's window waits for its start")
            members = (await api.get(f"/api/v1/cohorts/{clone['id']}/progress")).json()["partners"]
            assert [p["name"] for p in members] == ["B"]
            renamed = await api.patch(f"/api/v1/cohorts/{clone['id']}", json={"name": "Q2 (EMEA)"})
            assert renamed.status_code == 200 and renamed.json()["name"] == "Q2 (EMEA)"
            assert (await api.post(f"/api/v1/cohorts/{clone['id']}/cancel")).status_code == 202
        assert (await actions(sessions))[-3:-1] == ["cohort_cloned", "cohort_renamed"]
