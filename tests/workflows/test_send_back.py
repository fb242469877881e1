"""The PM sends a submitted answer back (time-skipping server, real activities, API and link page): the step
reopens in the running journey, the partner is emailed a fresh link with the comment, the page shows the
comment and the previous answer, the revision replaces the answer and the readiness explanation follows."""

from __future__ import annotations

import os
import re
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from db.intel_models import SubmissionReview
from db.session import SessionFactory, transaction
from tests.api.helpers import api_client
from tests.factories import create_cohort, partner, settings_for
from tests.waiting import eventually
from tests.workflows.helpers import emails, events, partner_ids, running_worker, start_journey, steps
from tests.workflows.test_replay import save
from workflows.journey.messages import SendBack, StepSubmission, journey_id
from workflows.journey.workflow import PartnerJourneyWorkflow

WEAK = {"industry": "Other", "company_size": "50", "trigger": "When they need the cloud, really"}
REVISED = {"industry": "Healthcare", "company_size": "800", "trigger": "The CIO of a hospital exiting its data centre"}
COMMENT = "Name the buyer: who signs, and the industry you actually win in"


def hidden(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]+)"', html))


async def icp_items(api: httpx.AsyncClient, pid: str, as_of: str) -> dict[str, Any]:
    """What step icp earned in the readiness explanation: its points and reasons, all items together."""
    body = (await api.get(f"/api/v1/partners/{pid}/signals", params={"as_of": as_of})).json()
    readiness = next(s for s in body["signals"] if s["name"] == "gtm_readiness")
    items = [i for i in readiness["items"] if i["source"] == "step icp"]
    assert items, readiness["items"]
    return {"points": sum(i["points"] for i in items), "reason": " | ".join(i["reason"] for i in items)}


async def send_back_once(api: httpx.AsyncClient, handle: WorkflowHandle, url: str, answered_at: datetime) -> str:
    """Bad requests say what and where; the send-back, its replay and a repeated Update reopen the step once.
    Returns the revision's due date the API answered."""
    no_comment = await api.post(url, json={"decision": "send_back", "comment": "  "})
    not_done = await api.post(url.replace("/icp/", "/rules/"), json={"decision": "send_back", "comment": "x"})
    assert no_comment.status_code == 422 and no_comment.json()["detail"][0]["path"] == "comment", no_comment.text
    assert not_done.status_code == 422 and "no submitted answer" in not_done.text, not_done.text

    body, key = {"decision": "send_back", "comment": COMMENT}, {"Idempotency-Key": "send-back-icp"}
    sent = await api.post(url, json=body, headers=key)
    replayed = await api.post(url, json=body, headers=key)
    twice = await api.post(url, json=body)
    assert sent.status_code == 200 and sent.json()["state"] == "sent_back", sent.text
    assert replayed.json() == sent.json() and replayed.headers.get("Idempotent-Replayed") == "true"
    assert twice.status_code == 409 and "already sent back" in twice.text and "icp" in twice.text, twice.text
    # The same Update again (a retried request whose answer was lost) reopens nothing and emails nothing.
    again = SendBack(step_key="icp", comment=COMMENT, key=answered_at.isoformat())
    answer = await handle.execute_update(PartnerJourneyWorkflow.send_back, again)
    due: str = sent.json()["revision_due_at"]
    assert answer.n == 1 and answer.due_at == datetime.fromisoformat(due), (answer, due)
    return due


@pytest.mark.timeout(120)
async def test_a_send_back_reopens_the_step_and_the_revision_replaces_the_answer(
    ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
) -> None:
    settings = settings_for(sqlite_sessions)
    cohort = await create_cohort(sqlite_sessions, [partner("Alpha")], starts_at=await ts_env.get_current_time())
    [pid] = await partner_ids(sqlite_sessions, cohort.id)
    jid = journey_id(cohort.id, pid)

    async def emailed() -> list[Any]:
        mails = [m for m in await emails(sqlite_sessions, jid) if m.kind == "step_sent_back"]
        assert mails, [m.kind for m in await emails(sqlite_sessions, jid)]
        return mails

    async with running_worker(ts_env.client, settings, sqlite_sessions), api_client(settings, ts_env.client) as api:
        handle = await start_journey(ts_env.client, settings, cohort, pid)
        await ts_env.sleep(timedelta(hours=1))
        await handle.execute_update(PartnerJourneyWorkflow.complete_step, StepSubmission(step_key="icp", answers=WEAK))
        await ts_env.sleep(timedelta(hours=2))
        as_of = (await ts_env.get_current_time() + timedelta(days=1)).isoformat()
        first = await icp_items(api, pid, as_of)
        answered_at = (await steps(sqlite_sessions, jid))["icp"].completed_at
        assert answered_at is not None
        await send_back_once(api, handle, f"/api/v1/partners/{pid}/submissions/{jid}/icp/review", answered_at)

        [mail] = await eventually(emailed, what="the send-back email")
        assert COMMENT in mail.text and mail.subject.startswith("Please revise:")
        row = (await steps(sqlite_sessions, jid))["icp"]
        assert row.status == "reopened" and row.due_at > await ts_env.get_current_time()
        sent_back = await icp_items(api, pid, as_of)
        assert sent_back["points"] == 0 and "sent back by the PM" in sent_back["reason"], sent_back
        assert COMMENT in sent_back["reason"]

        link = re.search(r"/p/[\w.-]+", mail.text).group(0)  # type: ignore[union-attr]
        page = await api.get(link)
        assert page.status_code == 200 and COMMENT in page.text and WEAK["trigger"] in page.text, page.text
        revised = await api.post(link, data={**hidden(page.text), **REVISED})
        assert revised.status_code == 303, revised.text
        assert len(await emailed()) == 1
        if os.environ.get("COSELL_RECORD_HISTORIES"):
            save("journey-sent-back", await handle.fetch_history())
        after = await icp_items(api, pid, as_of)
        behavior = (await api.get(f"/api/v1/partners/{pid}/signals", params={"as_of": as_of})).json()["behavior"]

    row = (await steps(sqlite_sessions, jid))["icp"]
    assert row.status == "completed" and row.submission, row.status
    assert (row.submission["industry"], row.submission["trigger"]) == (REVISED["industry"], REVISED["trigger"])
    timeline = [(e.kind, e.step_key) for e in await events(sqlite_sessions, jid)]
    assert timeline.count(("step_sent_back", "icp")) == 1 and timeline.count(("step_revised", "icp")) == 1
    async with transaction(sqlite_sessions) as session:
        [review] = await session.scalars(select(SubmissionReview))
    assert review.decision == "send_back" and review.sent_back_at and review.revised_at == row.completed_at
    assert "sent back" not in after["reason"] and after["points"] > first["points"], (first, after)
    assert "names an industry ('healthcare')" in after["reason"] and "does not name an industry" in first["reason"]
    # Follow-through is a behavior fact: revised within a week of the send-back earns the component's points.
    [follow] = [i for i in behavior["items"] if "after the send-back" in i["reason"]]
    assert follow["source"] == "step icp" and follow["points"] > 0, behavior["items"]
