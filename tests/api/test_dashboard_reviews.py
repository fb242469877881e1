"""Reviewing answers from a partner's dashboard page: approve or send back, CSRF-checked, the manager's own
programs only, through the API's review service (a send-back reopens the step in the running journey)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from api.dashboard.users import create as create_user
from db.models import AuditLog
from db.session import SessionFactory, transaction
from tests.dashboard_data import browser, csrf_of, dashboard_app, sign_in
from tests.factories import create_cohort, partner, settings_for
from tests.workflows.helpers import partner_ids, running_worker, start_journey, steps
from workflows.journey.messages import StepSubmission, journey_id
from workflows.journey.workflow import PartnerJourneyWorkflow

ICP = {"industry": "Healthcare", "company_size": "800", "trigger": "Exiting their data centre next year"}


async def review_audits(sessions: SessionFactory) -> list[tuple[str, str]]:
    async with transaction(sessions) as session:
        rows = await session.scalars(select(AuditLog).where(AuditLog.action == "submission_reviewed"))
        return [(r.actor, r.detail["decision"]) for r in rows]


@pytest.mark.timeout(120)
async def test_a_manager_sends_an_answer_back_from_the_partner_page(
    ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
) -> None:
    settings = settings_for(sqlite_sessions)
    now = await ts_env.get_current_time()
    cohort = await create_cohort(sqlite_sessions, [partner("Answer Co")], starts_at=now, program="Program A")
    async with transaction(sqlite_sessions) as session:
        await create_user(session, "ann@a.example", "Ann", "manager", ["Program A"])
        await create_user(session, "bob@b.example", "Bob", "manager", ["Program B"])
    [pid] = await partner_ids(sqlite_sessions, cohort.id)
    jid = journey_id(cohort.id, pid)
    path = f"/partners/{pid}/review"
    async with running_worker(ts_env.client, settings, sqlite_sessions):
        handle = await start_journey(ts_env.client, settings, cohort, pid)
        await ts_env.sleep(timedelta(hours=1))
        await handle.execute_update(PartnerJourneyWorkflow.complete_step, StepSubmission(step_key="icp", answers=ICP))
        async with dashboard_app(settings, ts_env.client) as app, browser(app) as ann, browser(app) as bob:
            await sign_in(ann, "ann@a.example")
            await sign_in(bob, "bob@b.example")
            shown = (await ann.get(f"/partners/{pid}")).text
            assert "Answers to review" in shown and ICP["trigger"] in shown and 'value="send_back"' in shown
            form = {"csrf": csrf_of(shown), "journey_id": jid, "step_key": "icp", "decision": "send_back"}

            bob_form = {**form, "csrf": csrf_of((await bob.get("/")).text), "comment": "x"}
            assert (await bob.post(path, data=bob_form)).status_code == 404
            assert (await ann.post(path, data={**form, "csrf": "forged", "comment": "x"})).status_code == 403
            no_comment = await ann.post(path, data={**form, "comment": " "})
            assert no_comment.status_code == 422 and "comment" in no_comment.text, no_comment.text
            assert await review_audits(sqlite_sessions) == []

            sent = await ann.post(path, data={**form, "comment": "Name the buyer role"})
            assert sent.status_code == 303 and sent.headers["location"] == f"/partners/{pid}?done=send_back"
            after = (await ann.get(sent.headers["location"])).text
            assert "the partner is emailed your comment" in after and "Waiting for the revision" in after
            again = await ann.post(path, data={**form, "comment": "Name the buyer role"})
            assert again.status_code == 409 and "already sent back" in again.text, again.text
    assert (await steps(sqlite_sessions, jid))["icp"].status == "reopened"
    assert await review_audits(sqlite_sessions) == [("user:ann@a.example", "send_back")]
