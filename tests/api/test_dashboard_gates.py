"""Deciding a gate hold from the cohort board: a confirmation, CSRF, the manager's own programs only, and
the decision reaching the held journey through the same service as the API's gate-decision call."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from api.dashboard.users import create as create_user
from db.models import AuditLog
from db.session import SessionFactory, transaction
from tests.dashboard_data import browser, csrf_of, dashboard_app, sign_in
from tests.factories import create_cohort, partner, settings_for
from tests.waiting import eventually
from tests.workflows.helpers import events, partner_ids, running_worker, start_journey
from workflows.journey.messages import journey_id
from workflows.journey.workflow import PartnerJourneyWorkflow


async def gate_audits(sessions: SessionFactory) -> list[tuple[str, dict]]:  # type: ignore[type-arg]
    async with transaction(sessions) as session:
        rows = await session.scalars(select(AuditLog).where(AuditLog.action == "gate_decision"))
        return [(r.actor, r.detail) for r in rows]


async def decisions_offered(client: httpx.AsyncClient, cohort_id: str, partner_id: str) -> None:
    """The board and Today both link the hold's three decisions, one click away."""
    for path in (f"/cohorts/{cohort_id}", "/"):
        page = (await client.get(path)).text
        links = [f'href="/cohorts/{cohort_id}/gate/{partner_id}/{d}"' for d in ("advance", "extend", "exit")]
        assert all(link in page for link in links), path


class TestGateDecisions:
    async def test_a_manager_extends_a_held_partner_from_the_board(
        self, ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
    ) -> None:
        settings = settings_for(sqlite_sessions)
        now = await ts_env.get_current_time()
        cohort = await create_cohort(
            sqlite_sessions, [partner("Held Co")], starts_at=now, program="Program A", name="Cohort A"
        )
        async with transaction(sqlite_sessions) as session:
            await create_user(session, "ann@a.example", "Ann", "manager", ["Program A"])
            await create_user(session, "bob@b.example", "Bob", "manager", ["Program B"])
        [pid] = await partner_ids(sqlite_sessions, cohort.id)
        jid = journey_id(cohort.id, pid)
        confirm_path = f"/cohorts/{cohort.id}/gate/{pid}/extend"
        async with running_worker(ts_env.client, settings, sqlite_sessions):
            await start_journey(ts_env.client, settings, cohort, pid)
            await ts_env.sleep(timedelta(days=5, hours=1))  # both awareness steps run out: held at the gate
            held = await ts_env.client.get_workflow_handle(jid).query(PartnerJourneyWorkflow.progress)
            assert held.status == "held"

            async with dashboard_app(settings, ts_env.client) as app, browser(app) as ann, browser(app) as bob:
                await sign_in(ann, "ann@a.example")
                await sign_in(bob, "bob@b.example")
                await decisions_offered(ann, cohort.id, pid)

                # Another manager's program answers like nothing is there, to the page and to the form.
                assert (await bob.get(confirm_path)).status_code == 404
                bob_csrf = csrf_of((await bob.get("/")).text)
                assert (await bob.post(confirm_path, data={"csrf": bob_csrf, "extend_days": "4"})).status_code == 404

                confirm = await ann.get(confirm_path)
                assert confirm.status_code == 200 and "Held Co" in confirm.text and "Days to extend" in confirm.text
                form = {"csrf": csrf_of(confirm.text), "key": "gate-k1", "extend_days": "4", "reason": "on leave"}
                forged = await ann.post(confirm_path, data={**form, "csrf": "forged"})
                assert forged.status_code == 403
                bad_days = await ann.post(confirm_path, data={**form, "extend_days": "400"})
                assert bad_days.status_code == 422 and "extend_days" in bad_days.text
                assert await gate_audits(sqlite_sessions) == []

                done = await ann.post(confirm_path, data=form)
                assert done.status_code == 303 and done.headers["location"] == f"/cohorts/{cohort.id}?done=gate"
                [(actor, detail)] = await gate_audits(sqlite_sessions)
                assert actor == "user:ann@a.example"
                assert detail == {"partner_id": pid, "decision": "extend", "extend_days": 4, "reason": "on leave"}

                async def decided() -> bool:
                    rows = [e for e in await events(sqlite_sessions, jid) if e.kind == "gate_decided"]
                    assert [(e.data["decision"], e.data["reason"]) for e in rows] == [("extend", "on leave")]
                    return True

                await eventually(decided, what="the journey took the board's gate decision", within=60)

                async def no_longer_held() -> bool:
                    assert f'href="{confirm_path}"' not in (await ann.get(f"/cohorts/{cohort.id}")).text
                    again = await ann.get(confirm_path)
                    assert again.status_code == 409 and "not held at a gate" in again.text
                    return True

                await eventually(no_longer_held, what="the board no longer offers the decided hold", within=60)
