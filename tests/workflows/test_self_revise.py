"""A step the playbook marks `revisable: true`: once done, its page shows what was sent and takes a revision
(the journey's complete_step Update, as a completion) until the step's due date; after it, the journey and
the page refuse with a clear message. Every step page and email shows where the partner stands."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from db.models import EmailOutbox
from db.repositories import playbooks as playbook_repo
from db.session import SessionFactory, transaction
from playbooks.loader import load_playbook
from settings import Settings
from tests.api.helpers import api_client
from tests.api.test_partner_pages import hidden
from tests.factories import create_cohort, partner, settings_for
from tests.waiting import eventually
from tests.workflows.helpers import events, partner_ids, running_worker, start_journey, steps
from tests.workflows.test_conditions import invited
from tests.workflows.test_parallel_plays import page_of
from tests.workflows.test_replay import save
from workflows.journey.messages import StepSubmission
from workflows.journey.workflow import PartnerJourneyWorkflow

PLAYBOOK = Path(__file__).parent / "playbooks" / "revisable.yaml"
FIRST = {"industry": "Healthcare", "trigger": "Exiting their data centre"}
SECOND = {"industry": "Healthcare providers", "trigger": "A new CIO consolidating vendors"}
TZ = "America/New_York"


async def start(env: WorkflowEnvironment, sessions: SessionFactory, settings: Settings) -> WorkflowHandle:
    async with transaction(sessions) as session:
        await playbook_repo.publish(session, load_playbook(PLAYBOOK))
    now = await env.get_current_time()
    cohort = await create_cohort(
        sessions, [partner("Alpha Analytics", timezone=TZ)], starts_at=now, playbook_id="revisable-icp"
    )
    [alpha] = await partner_ids(sessions, cohort.id)
    return await start_journey(env.client, settings, cohort, alpha)


async def revise(handle: WorkflowHandle, answers: dict[str, str]) -> None:
    await handle.execute_update(PartnerJourneyWorkflow.complete_step, StepSubmission(step_key="icp", answers=answers))


async def invite_text(sessions: SessionFactory, step_key: str) -> str:
    async with transaction(sessions) as session:
        rows = await session.scalars(
            select(EmailOutbox).where(EmailOutbox.dedupe_key.endswith(f"/{step_key}/invite/0"))
        )
        [row] = list(rows)
    return row.text + row.html


@pytest.mark.timeout(120)
async def test_a_done_step_is_revised_before_its_due_date_and_refused_after(
    ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
) -> None:
    settings = settings_for(sqlite_sessions)
    async with running_worker(ts_env.client, settings, sqlite_sessions), api_client(settings, ts_env.client) as api:
        handle = await start(ts_env, sqlite_sessions, settings)
        await invited(sqlite_sessions, handle.id, "icp")
        email = await invite_text(sqlite_sessions, "icp")
        first = await api.get(page_of(settings, handle.id, "icp"))
        await revise(handle, FIRST)  # the completion
        await invited(sqlite_sessions, handle.id, "kickoff")
        page = await api.get(page_of(settings, handle.id, "icp"))
        sent = await api.post(page_of(settings, handle.id, "icp"), data={**hidden(page.text), **SECOND})

        async def revised() -> dict | None:
            row = (await steps(sqlite_sessions, handle.id))["icp"]
            return row.submission if row.submission == SECOND else None

        await eventually(revised, what="the revision in the read model")
        await ts_env.sleep(timedelta(days=11))  # icp was due in 10 days; kickoff (30 days) keeps the journey open
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await revise(handle, FIRST)
        again = await api.get(page_of(settings, handle.id, "icp"))  # the API's clock is not skipped: still shown
        late = await api.post(page_of(settings, handle.id, "icp"), data={**hidden(again.text), **FIRST})
        timeline = await events(sqlite_sessions, handle.id)
        history = await handle.fetch_history()
        if os.environ.get("COSELL_RECORD_HISTORIES"):
            save("journey-self-revised", history)
    markers = [
        e.marker_recorded_event_attributes for e in history.events if e.HasField("marker_recorded_event_attributes")
    ]
    patches = [m.details["patch-data"].payloads[0].data for m in markers if m.marker_name == "core_patch"]
    assert any(b'"self-revise"' in p for p in patches)  # the new path is the patched one
    # the map and what comes next, in the invite email (text and HTML) and on the page, in the partner's zone
    assert "WHERE YOU STAND" in email and "This step is step 1 of 2 of “Your ideal customer”." in email
    assert "What comes next:\n- Read the rules of engagement: to come" in email
    assert '<p style="margin:0 0 8px;font-weight:600;">Where you stand</p>' in email
    assert "Where you stand" in first.text and 'aria-current="step"' in first.text and f"({TZ})" in first.text
    assert "Sell together" in first.text and "Read the rules of engagement: to come" in first.text
    # before the due date: the page shows what was sent and takes the revision through the journey
    assert "revise it until its due date" in page.text and 'value="Healthcare"' in page.text
    assert sent.status_code == 303 and sent.headers["location"] == "/p/done"
    assert [(e.kind, e.data.get("by")) for e in timeline if e.step_key == "icp"][-1] == ("step_revised", "partner")
    # after it: the journey refuses, and so does the page, saying why
    assert isinstance(refused.value.cause, ApplicationError) and refused.value.cause.type == "RevisionClosed"
    assert late.status_code == 409 and "can no longer be revised" in late.text
    assert (await steps(sqlite_sessions, handle.id))["icp"].submission == SECOND
    assert re.search(
        r"could be revised until its due date, \w{3} \d+ \w{3} 2\d{3}, \d\d:\d\d \(America/New_York\)", late.text
    )
