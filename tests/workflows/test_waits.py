"""wait_for_event steps on the time-skipping server: a wait ended by a deal that a CRM import records as
accepted (the import tells the partner's journey after its commit; the same fact told again counts once),
and a wait that times out and takes the playbook's `on_timeout` branch."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from db.repositories import playbooks as playbook_repo
from db.session import SessionFactory, transaction
from playbooks.loader import load_playbook
from playbooks.model import WaitEvent
from tests.api.helpers import api_client
from tests.factories import create_cohort, partner, settings_for
from tests.waiting import eventually
from tests.workflows.helpers import events, partner_ids, running_worker, start_journey
from tests.workflows.test_conditions import invited
from tests.workflows.test_replay import save
from workflows.journey.messages import JourneyProgress, PartnerEvent, journey_id
from workflows.journey.tell import tell_journeys
from workflows.journey.workflow import PartnerJourneyWorkflow

PLAYBOOK = Path(__file__).parent / "playbooks" / "wait-deal-accepted.yaml"
# A HubSpot export: "Contract Sent" is an open opportunity, which the vendor has accepted.
EXPORT = (
    "Record ID,Deal Name,Deal Stage,Amount,Close Date,Deal owner,Associated Company,Pipeline,Create Date,Partner\n"
    "9087765499,Northwind - Lab data,Contract Sent,87000,2027-01-15 00:00,,Northwind Components,"
    "Sales Pipeline,2026-09-23 11:05,Alpha Analytics\n"
)


async def start(env: WorkflowEnvironment, sessions: SessionFactory) -> tuple:
    async with transaction(sessions) as session:
        await playbook_repo.publish(session, load_playbook(PLAYBOOK))
    now = await env.get_current_time()
    names = [partner("Alpha Analytics"), partner("Beta Builders")]
    cohort = await create_cohort(
        sessions, names, starts_at=now, playbook_id="wait-deal-accepted", pm_email="pm@vendor.example"
    )
    return cohort, *await partner_ids(sessions, cohort.id)


class TestWaitForEvent:
    @pytest.mark.timeout(120)
    async def test_a_deal_accepted_by_a_crm_import_ends_the_wait(
        self, ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
    ) -> None:
        settings = settings_for(sqlite_sessions)
        cohort, alpha, _ = await start(ts_env, sqlite_sessions)
        jid = journey_id(cohort.id, alpha)
        async with running_worker(ts_env.client, settings, sqlite_sessions):
            handle = await start_journey(ts_env.client, settings, cohort, alpha)
            await eventually(lambda: waiting(sqlite_sessions, jid), what="the wait is on the timeline")
            async with api_client(settings, ts_env.client) as api:
                files = {"file": ("deals.csv", EXPORT.encode(), "text/csv")}
                answer = await api.post("/api/v1/deals/import", files=files, data={"program": "Test program"})
                assert answer.status_code == 200, answer.text
            timeline = await invited(sqlite_sessions, jid, "account-plan")
            progress = await handle.query(PartnerJourneyWorkflow.progress)
            [heard] = [h for h in progress.heard if h.startswith("deal_accepted/")]
            # The same fact told again (a redelivery, or recorded twice) is not heard twice. Signals are
            # handled in order, so once a later fact is heard the repeats have been handled too.
            now = await ts_env.get_current_time()
            again = PartnerEvent(id=heard, kind=WaitEvent.deal_accepted, occurred_at=now)
            later = PartnerEvent(id="deal_won/probe", kind=WaitEvent.deal_won, occurred_at=now)
            await tell_journeys(ts_env.client, [(jid, again), (jid, again), (jid, later)])
            progress = await eventually(lambda: heard_all(handle, later.id), what="the later fact heard")
        [done] = [e for e in timeline if (e.kind, e.step_key) == ("step_completed", "deal-accepted")]
        assert done.data["event"] == "deal_accepted" and done.data["branch"] == "on_event"
        assert [h for h in progress.heard if h.startswith("deal_accepted/")] == [heard]
        assert progress.completed == ["deal-accepted"] and progress.overdue == []

    @pytest.mark.timeout(120)
    async def test_a_wait_that_times_out_takes_the_playbooks_branch(
        self, ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
    ) -> None:
        settings = settings_for(sqlite_sessions)
        cohort, _, beta = await start(ts_env, sqlite_sessions)
        jid = journey_id(cohort.id, beta)
        async with running_worker(ts_env.client, settings, sqlite_sessions):
            handle = await start_journey(ts_env.client, settings, cohort, beta)
            await eventually(lambda: waiting(sqlite_sessions, jid), what="the wait is on the timeline")
            await ts_env.sleep(timedelta(days=9))  # far from the 10-day timeout: still waiting
            assert (await handle.query(PartnerJourneyWorkflow.progress)).open_step.step_key == "deal-accepted"
            await ts_env.sleep(timedelta(days=2))
            timeline = await invited(sqlite_sessions, jid, "account-plan")
        [overdue] = [e for e in timeline if (e.kind, e.step_key) == ("step_overdue", "deal-accepted")]
        assert overdue.data["branch"] == "on_timeout: escalate"
        assert overdue.data["reason"] == "no deal accepted within 10 days"
        assert "escalated" in [e.kind for e in timeline]


async def heard_all(handle: WorkflowHandle, last: str) -> JourneyProgress | None:
    progress = await handle.query(PartnerJourneyWorkflow.progress)
    return progress if last in progress.heard else None


async def waiting(sessions: SessionFactory, jid: str) -> bool:
    return ("step_waiting", "deal-accepted") in [(e.kind, e.step_key) for e in await events(sessions, jid)]


@pytest.mark.skipif(not os.environ.get("COSELL_RECORD_HISTORIES"), reason="set COSELL_RECORD_HISTORIES=1 to re-record")
async def test_record_wait_histories(ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory) -> None:
    """One journey whose wait a deal ends, one whose wait times out and escalates (patch wait-for-event)."""
    settings = settings_for(sqlite_sessions)
    cohort, alpha, beta = await start(ts_env, sqlite_sessions)
    async with running_worker(ts_env.client, settings, sqlite_sessions):
        handles = {p: await start_journey(ts_env.client, settings, cohort, p) for p in (alpha, beta)}
        for pid in (alpha, beta):
            jid = journey_id(cohort.id, pid)
            await eventually(lambda jid=jid: waiting(sqlite_sessions, jid), what="the wait is on the timeline")
        accepted = PartnerEvent(id="deal_accepted/x", kind=WaitEvent.deal_accepted, occurred_at=cohort.starts_at)
        await tell_journeys(ts_env.client, [(journey_id(cohort.id, alpha), accepted)])
        await invited(sqlite_sessions, journey_id(cohort.id, alpha), "account-plan")
        await ts_env.sleep(timedelta(days=11))
        await invited(sqlite_sessions, journey_id(cohort.id, beta), "account-plan")
        save("journey-waited-for-deal", await handles[alpha].fetch_history())
        save("journey-wait-timed-out", await handles[beta].fetch_history())
