"""The PM approves or grades a submitted answer (POST .../submissions/{journey}/{step}/review): stored,
audited, Idempotency-Key aware, read back as a fact that overrides the rule score. SQLite and Postgres."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select, update
from temporalio.testing import WorkflowEnvironment

from db.models import AuditLog, Journey, JourneyStep
from db.repositories import partner_facts
from db.session import SessionFactory, transaction
from tests.api.helpers import api_client
from tests.api.test_partner_signals import DAY, T0, recorded
from tests.factories import settings_for

AS_OF = (T0 + 14 * DAY).isoformat()


async def audit(sessions: SessionFactory) -> list[dict[str, Any]]:
    async with transaction(sessions) as session:
        rows = await session.scalars(select(AuditLog).where(AuditLog.action == "submission_reviewed"))
        return [a.detail for a in rows]


async def icp_items(api: httpx.AsyncClient, pid: str) -> list[dict[str, Any]]:
    """The readiness items that step icp produced, as GET /signals explains them."""
    body = (await api.get(f"/api/v1/partners/{pid}/signals", params={"as_of": AS_OF})).json()
    readiness = next(s for s in body["signals"] if s["name"] == "gtm_readiness")
    return [i for i in readiness["items"] if i["source"] == "step icp"]


def review_url(pid: str, jid: str, step: str) -> str:
    return f"/api/v1/partners/{pid}/submissions/{jid}/{step}/review"


async def test_a_grade_overrides_the_rules_is_audited_once_and_shows_on_the_360(
    dev_env: WorkflowEnvironment, sessions: SessionFactory
) -> None:
    cohort_id, pid = await recorded(sessions)
    jid = f"journey/{cohort_id}/{pid}"
    async with api_client(settings_for(sessions), dev_env.client) as api:
        before = await icp_items(api, pid)
        assert len(before) >= 2 and not any("by the PM" in i["reason"] for i in before)
        grade = {"decision": "grade", "score": 40, "comment": "Name the buyer's budget owner"}
        headers = {"Idempotency-Key": "grade-icp"}
        first = await api.post(review_url(pid, jid, "icp"), json=grade, headers=headers)
        again = await api.post(review_url(pid, jid, "icp"), json=grade, headers=headers)
        after = await icp_items(api, pid)
        whole = (await api.get(f"/api/v1/partners/{pid}/360", params={"as_of": AS_OF})).json()
    assert first.status_code == again.status_code == 200, first.text
    assert first.json() == again.json() and again.headers.get("Idempotent-Replayed") == "true"
    out = first.json()
    assert (out["journey_id"], out["step_key"], out["state"], out["score"]) == (jid, "icp", "graded", 40)
    assert out["submitted_at"].startswith((T0 + 2 * DAY).date().isoformat())
    [logged] = await audit(sessions)
    assert (logged["partner_id"], logged["step_key"], logged["decision"], logged["score"]) == (pid, "icp", "grade", 40)

    # The ICP is worth 20 readiness points: a grade of 40 earns 8 of them, whatever the rules said.
    [item] = after
    assert item["points"] == 8.0
    assert "graded 40/100 by the PM" in item["reason"] and "overriding the rules" in item["reason"]
    [sub] = whole["submissions"]
    assert (sub["journey_id"], sub["step_key"], sub["review"], sub["score"]) == (jid, "icp", "graded", 40)
    assert sub["review_comment"] == "Name the buyer's budget owner" and sub["reviewed_by"]


async def test_approve_then_bad_requests_name_the_field(dev_env: WorkflowEnvironment, sessions: SessionFactory) -> None:
    cohort_id, pid = await recorded(sessions)
    jid = f"journey/{cohort_id}/{pid}"
    async with api_client(settings_for(sessions), dev_env.client) as api:
        approved = await api.post(review_url(pid, jid, "icp"), json={"decision": "approve"})
        [item] = await icp_items(api, pid)
        whole = (await api.get(f"/api/v1/partners/{pid}/360", params={"as_of": AS_OF})).json()
        too_high = await api.post(review_url(pid, jid, "icp"), json={"decision": "grade", "score": 101})
        no_score = await api.post(review_url(pid, jid, "icp"), json={"decision": "grade"})
        scored_approval = await api.post(review_url(pid, jid, "icp"), json={"decision": "approve", "score": 90})
        send_back = await api.post(review_url(pid, jid, "icp"), json={"decision": "send_back"})
        unknown = await api.post(review_url(pid, jid, "no-such-step"), json={"decision": "approve"})
        unanswered = await api.post(review_url(pid, jid, "target-account"), json={"decision": "approve"})
        not_judged = await api.post(review_url(pid, jid, "rules"), json={"decision": "approve"})
        other = await api.post(review_url("nope", jid, "icp"), json={"decision": "approve"})
    assert approved.status_code == 200 and approved.json()["state"] == "approved", approved.text
    assert item["points"] == 20.0 and "approved by the PM on" in item["reason"]
    assert [(s["step_key"], s["review"], s["score"]) for s in whole["submissions"]] == [("icp", "approved", None)]

    for bad in (too_high, no_score, scored_approval, send_back, unknown, unanswered, not_judged):
        assert bad.status_code == 422, bad.text
    for bad, path in ((too_high, "score"), (no_score, "score"), (scored_approval, "score"), (send_back, "comment")):
        assert [e["path"] for e in bad.json()["detail"]] == [path], bad.text
    for bad, says in ((unknown, "no step 'no-such-step'"), (unanswered, "no submitted answer"), (not_judged, "not")):
        [error] = bad.json()["detail"]
        assert error["path"] == "step_id" and says in error["message"], error
    assert other.status_code == 404
    assert [a["decision"] for a in await audit(sessions)] == ["approve"]


async def test_a_revision_reads_as_not_reviewed_yet(dev_env: WorkflowEnvironment, sessions: SessionFactory) -> None:
    """A review applies to the answer it reviewed: a later submission of the step is pending again."""
    cohort_id, pid = await recorded(sessions)
    jid = f"journey/{cohort_id}/{pid}"
    async with api_client(settings_for(sessions), dev_env.client) as api:
        graded = await api.post(review_url(pid, jid, "icp"), json={"decision": "grade", "score": 55})
    assert graded.status_code == 200, graded.text
    async with transaction(sessions) as session:
        facts = await partner_facts.load_one(session, pid)
        assert facts is not None
        assert [(s.review.state, s.review.grade) for s in facts.submissions] == [("approved", 55)]
        await session.execute(
            update(JourneyStep)
            .where(JourneyStep.journey_id == jid, JourneyStep.step_key == "icp")
            .values(completed_at=T0 + 10 * DAY)
        )
    async with transaction(sessions) as session:
        facts = await partner_facts.load_one(session, pid)
    assert facts is not None
    assert [(s.review.state, s.review.grade) for s in facts.submissions] == [("pending", None)]


async def test_a_send_back_of_a_closed_journey_is_a_conflict_naming_it(
    dev_env: WorkflowEnvironment, sessions: SessionFactory
) -> None:
    """Nothing is recorded: the journey cannot reopen the step, and the 409 says which journey and step."""
    cohort_id, pid = await recorded(sessions)
    jid = f"journey/{cohort_id}/{pid}"
    async with transaction(sessions) as session:
        await session.execute(update(Journey).where(Journey.id == jid).values(status="exited"))
    body = {"decision": "send_back", "comment": "Name a measured outcome"}
    async with api_client(settings_for(sessions), dev_env.client) as api:
        closed = await api.post(review_url(pid, jid, "icp"), json=body)
        # The read model still says running, but no journey workflow exists: the journey's answer decides.
        async with transaction(sessions) as session:
            await session.execute(update(Journey).where(Journey.id == jid).values(status="waiting"))
        gone = await api.post(review_url(pid, jid, "icp"), json=body)
    assert closed.status_code == gone.status_code == 409, (closed.text, gone.text)
    assert "exited" in closed.json()["error"] and "closed" in gone.json()["error"]
    for answer in (closed, gone):
        assert answer.json()["detail"] == {"journey_id": jid, "step_id": "icp"}
    assert await audit(sessions) == []
