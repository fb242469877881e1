"""Programs created, renamed and archived; cohorts listed by program, status and start date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from db.models import AuditLog
from db.repositories import cohorts as cohort_repo
from db.session import SessionFactory, transaction
from tests.api.helpers import api_client
from tests.factories import cohort_body, create_cohort, partner, settings_for


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
