from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import func, select
from temporalio.testing import WorkflowEnvironment

from db.models import AuditLog
from db.session import SessionFactory, transaction
from tests.api.helpers import api_client
from tests.factories import cohort_body, partner, settings_for
from tests.waiting import eventually
from tests.workflows.helpers import running_worker


async def audit_count(sessions: SessionFactory, action: str) -> int:
    async with transaction(sessions) as session:
        return await session.scalar(select(func.count()).where(AuditLog.action == action)) or 0


class TestWindowControlApi:
    async def test_changes_are_audited_idempotent_and_refused_once_closed(
        self, dev_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        settings = settings_for(sessions)
        async with running_worker(dev_env.client, settings, sessions), api_client(settings, dev_env.client) as api:
            cohort = (await api.post("/api/v1/cohorts", json=cohort_body([partner("Alpha")]))).json()
            cid = cohort["id"]
            headers = {"Idempotency-Key": f"pause-{cid}"}
            first = await api.post(f"/api/v1/cohorts/{cid}/pause", headers=headers)
            again = await api.post(f"/api/v1/cohorts/{cid}/pause", headers=headers)
            assert first.status_code == again.status_code == 202 and first.json() == again.json()
            assert await audit_count(sessions, "pause") == 1

            async def status_is(wanted: str) -> bool:
                status = (await api.get(f"/api/v1/cohorts/{cid}")).json()["status"]
                assert status == wanted, status
                return True

            await eventually(lambda: status_is("paused"), what="the cohort paused")

            past = await api.post(f"/api/v1/cohorts/{cid}/extend", json={"ends_at": "2001-01-01T00:00:00Z"})
            assert past.status_code == 422 and "future" in past.json()["error"]
            assert (await api.post(f"/api/v1/cohorts/{cid}/extend", json={})).status_code == 422

            missing = await api.delete(f"/api/v1/cohorts/{cid}/partners/nobody")
            assert missing.status_code == 404
            not_held = await api.get(f"/api/v1/cohorts/{cid}/progress")
            pid = not_held.json()["partners"][0]["partner_id"]

            async def journey_known() -> httpx.Response:  # the journey row appears once its first activity ran
                decision = await api.post(
                    f"/api/v1/cohorts/{cid}/partners/{pid}/gate-decision", json={"decision": "advance"}
                )
                assert decision.status_code != 404, decision.text
                return decision

            decision = await eventually(journey_known, what="the journey row written")
            assert decision.status_code == 409 and "not waiting at a gate" in decision.json()["error"]

            added = await api.post(f"/api/v1/cohorts/{cid}/partners", json={"partners": [partner("Beta")]})
            assert added.status_code == 202 and len(added.json()["detail"]["partner_ids"]) == 1
            assert (await api.get(f"/api/v1/cohorts/{cid}")).json()["partners"] == 2

            assert (await api.post(f"/api/v1/cohorts/{cid}/close")).status_code == 202
            await eventually(lambda: status_is("closed"), what="the cohort closed")
            late = await api.post(f"/api/v1/cohorts/{cid}/resume")
            assert late.status_code == 409 and "closed" in late.json()["error"]
            assert (await api.post("/api/v1/cohorts/unknown/pause")).status_code == 404


class TestMigrateApi:
    async def test_migration_is_validated_audited_and_signalled(
        self, dev_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        from db.repositories import playbooks as repo
        from playbooks.loader import shipped_playbooks

        v1 = {p.id: p for p in shipped_playbooks()}["quickstart-14d"]
        async with transaction(sessions) as session:
            await repo.publish(session, v1.model_copy(update={"version": 2, "title": "Quick start v2"}))
            data = v1.model_dump(mode="json")
            await repo.publish(session, v1.model_validate({**data, "version": 3, "stages": data["stages"][:2]}))
        settings = settings_for(sessions)
        async with running_worker(dev_env.client, settings, sessions), api_client(settings, dev_env.client) as api:
            cid = (await api.post("/api/v1/cohorts", json=cohort_body([partner("Alpha")], playbook_version=1))).json()[
                "id"
            ]
            same = await api.post(f"/api/v1/cohorts/{cid}/migrate", json={"playbook_version": 1})
            assert same.status_code == 409
            assert (await api.post(f"/api/v1/cohorts/{cid}/migrate", json={"playbook_version": 9})).status_code == 404
            fewer = await api.post(f"/api/v1/cohorts/{cid}/migrate", json={"playbook_version": 3})
            assert fewer.status_code == 422 and fewer.json()["detail"]["new"] == ["awareness", "activation"]
            moved = await api.post(f"/api/v1/cohorts/{cid}/migrate", json={"playbook_version": 2})
            assert moved.status_code == 202 and moved.json()["detail"] == {"from": 1, "to": 2}
            assert (await api.get(f"/api/v1/cohorts/{cid}")).json()["playbook"]["version"] == 2
            assert await audit_count(sessions, "migrate") == 1


class TestScheduledLaunchApi:
    async def test_schedule_is_validated_rescheduled_and_cancelled_before_the_start(
        self, dev_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        settings = settings_for(sessions)
        now = datetime.now(UTC)
        start, end = now + timedelta(days=7), now + timedelta(days=30)
        async with running_worker(dev_env.client, settings, sessions), api_client(settings, dev_env.client) as api:
            backwards = cohort_body(
                [partner("Alpha")], starts_at=start.isoformat(), ends_at=(start - timedelta(days=1)).isoformat()
            )
            refused = await api.post("/api/v1/cohorts", json=backwards)
            assert refused.status_code == 422 and refused.json()["detail"][0]["path"] == "ends_at", refused.text
            stale = cohort_body([partner("Alpha")], starts_at=(now - timedelta(hours=3)).isoformat())
            refused = await api.post("/api/v1/cohorts", json=stale)
            assert refused.status_code == 422 and refused.json()["detail"][0]["path"] == "starts_at", refused.text
            body = cohort_body([partner("Alpha")], starts_at=start.isoformat(), ends_at=end.isoformat())
            created = await api.post("/api/v1/cohorts", json=body)
            assert created.status_code == 201, created.text
            cid = created.json()["id"]

            async def status_is(wanted: str) -> bool:
                status = (await api.get(f"/api/v1/cohorts/{cid}")).json()["status"]
                assert status == wanted, status
                return True

            await eventually(lambda: status_is("scheduled"), what="the cohort shown as scheduled")
            bad = await api.post(
                f"/api/v1/cohorts/{cid}/reschedule", json={"starts_at": (now - timedelta(days=2)).isoformat()}
            )
            assert bad.status_code == 422 and bad.json()["detail"][0]["path"] == "starts_at", bad.text
            later = start + timedelta(days=7)
            headers = {"Idempotency-Key": f"move-{cid}"}
            moved = await api.post(
                f"/api/v1/cohorts/{cid}/reschedule", json={"starts_at": later.isoformat()}, headers=headers
            )
            again = await api.post(
                f"/api/v1/cohorts/{cid}/reschedule", json={"starts_at": later.isoformat()}, headers=headers
            )
            assert moved.status_code == again.status_code == 202 and moved.json() == again.json(), moved.text
            assert await audit_count(sessions, "reschedule") == 1
            cohort = (await api.get(f"/api/v1/cohorts/{cid}")).json()
            assert datetime.fromisoformat(cohort["starts_at"]) == later
            assert datetime.fromisoformat(cohort["ends_at"]) == end + timedelta(days=7)  # the length is kept
            assert (await api.post(f"/api/v1/cohorts/{cid}/cancel")).status_code == 202
            await eventually(lambda: status_is("cancelled"), what="the scheduled cohort cancelled")
            progress = (await api.get(f"/api/v1/cohorts/{cid}/progress")).json()
            assert progress["by_status"] == {"not_started": 1}  # no partner ever started

    async def test_a_started_window_is_not_rescheduled(
        self, dev_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        settings = settings_for(sessions)
        async with running_worker(dev_env.client, settings, sessions), api_client(settings, dev_env.client) as api:
            cid = (await api.post("/api/v1/cohorts", json=cohort_body([partner("Alpha")]))).json()["id"]
            soon = (datetime.now(UTC) + timedelta(days=3)).isoformat()
            late = await api.post(f"/api/v1/cohorts/{cid}/reschedule", json={"starts_at": soon})
            assert late.status_code == 409 and "already started" in late.json()["error"], late.text
