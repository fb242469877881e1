"""`unlock: overlap` on the time-skipping server: an intro-request step waits while the partner has no
overlap; a vendor import that creates overlap tells the journey after its commit and the step opens; a
partner whose overlap never comes takes the playbook's `on_timeout` branch (escalate)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, UnsandboxedWorkflowRunner
from temporalio.workflow import NondeterminismError

from db.repositories import accounts as account_repo
from db.repositories import playbooks as playbook_repo
from db.session import SessionFactory, transaction
from domain.account_lists import ParsedAccount
from playbooks.loader import load_playbook
from tests.api.helpers import api_client
from tests.factories import create_cohort, partner, settings_for
from tests.waiting import eventually
from tests.workflows.helpers import events, partner_ids, running_worker, start_journey
from tests.workflows.test_conditions import invited
from tests.workflows.test_replay import HISTORIES, load, save
from worker import WORKFLOWS
from workflows.journey.messages import journey_id
from workflows.journey.steps import PARALLEL
from workflows.journey.waits import UNLOCKS
from workflows.journey.workflow import PartnerJourneyWorkflow

PLAYBOOK = Path(__file__).parent / "playbooks" / "overlap-unlock.yaml"
# The vendor's CRM gains the account Alpha listed: the import's rematch creates Alpha's first overlap.
VENDOR_EXPORT = (
    '"Account ID","Account Name","Account Owner","Website"\n'
    '"0015g00000Qz1AAAAZ","Northwind Components","","northwindcomponents.com"\n'
)


async def start(env: WorkflowEnvironment, sessions: SessionFactory) -> tuple:
    async with transaction(sessions) as session:
        await playbook_repo.publish(session, load_playbook(PLAYBOOK))
    now = await env.get_current_time()
    names = [partner("Alpha Analytics"), partner("Beta Builders")]
    cohort = await create_cohort(sessions, names, starts_at=now, playbook_id="overlap-unlock", pm_email="pm@v.example")
    alpha, beta = await partner_ids(sessions, cohort.id)
    async with transaction(sessions) as session:  # a list, but nothing the vendor sells to yet
        listed = [ParsedAccount(line=2, name="Northwind Components", domain="northwindcomponents.com")]
        assert await account_repo.replace_partner_accounts(session, alpha, listed) == 0
    return cohort, alpha, beta


async def waiting(sessions: SessionFactory, jid: str) -> bool:
    return ("step_waiting", "intro") in [(e.kind, e.step_key) for e in await events(sessions, jid)]


class TestOverlapUnlock:
    @pytest.mark.timeout(120)
    async def test_a_vendor_import_that_creates_overlap_opens_the_waiting_intro_step(
        self, ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
    ) -> None:
        settings = settings_for(sqlite_sessions)
        cohort, alpha, _ = await start(ts_env, sqlite_sessions)
        jid = journey_id(cohort.id, alpha)
        async with running_worker(ts_env.client, settings, sqlite_sessions):
            handle = await start_journey(ts_env.client, settings, cohort, alpha)
            await eventually(lambda: waiting(sqlite_sessions, jid), what="the intro step waits for overlap")
            progress = await handle.query(PartnerJourneyWorkflow.progress)
            assert progress.open_step and progress.open_step.waits_for == "overlap_found"
            await ts_env.sleep(timedelta(days=3))  # well inside the 10-day timeout
            async with api_client(settings, ts_env.client) as api:
                files = {"file": ("accounts.csv", VENDOR_EXPORT.encode(), "text/csv")}
                answer = await api.post("/api/v1/vendor-accounts/import?format=salesforce", files=files)
                assert answer.status_code == 200, answer.text
            timeline = await invited(sqlite_sessions, jid, "intro")
            progress = await handle.query(PartnerJourneyWorkflow.progress)
        [unlocked] = [e for e in timeline if (e.kind, e.step_key) == ("step_unlocked", "intro")]
        assert unlocked.data["branch"] == "unlocked: overlap found"
        assert unlocked.data["event_id"].startswith(f"overlap_found/{alpha}@")
        assert progress.open_step and progress.open_step.step_key == "intro" and progress.open_step.waits_for is None
        assert progress.overdue == [] and "escalated" not in [e.kind for e in timeline]

    @pytest.mark.timeout(120)
    async def test_no_overlap_by_the_timeout_escalates_and_the_journey_moves_on(
        self, ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
    ) -> None:
        settings = settings_for(sqlite_sessions)
        cohort, _, beta = await start(ts_env, sqlite_sessions)
        jid = journey_id(cohort.id, beta)
        async with running_worker(ts_env.client, settings, sqlite_sessions):
            handle = await start_journey(ts_env.client, settings, cohort, beta)
            await eventually(lambda: waiting(sqlite_sessions, jid), what="the intro step waits for overlap")
            await ts_env.sleep(timedelta(days=9))  # a day before the 10-day timeout: still waiting
            assert (await handle.query(PartnerJourneyWorkflow.progress)).open_step.step_key == "intro"
            await ts_env.sleep(timedelta(days=2))
            timeline = await invited(sqlite_sessions, jid, "account-plan")
        [overdue] = [e for e in timeline if (e.kind, e.step_key) == ("step_overdue", "intro")]
        assert overdue.data == {
            "reason": "no overlap found within 10 days",
            "event": "overlap_found",
            "branch": "on_timeout: escalate",
        }
        assert "escalated" in [e.kind for e in timeline]
        assert ("step_invited", "intro") not in [(e.kind, e.step_key) for e in timeline]  # never sent


@pytest.mark.skipif(not os.environ.get("COSELL_RECORD_HISTORIES"), reason="set COSELL_RECORD_HISTORIES=1 to re-record")
async def test_record_unlock_histories(ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory) -> None:
    """One journey that overlap unlocks, one whose unlock times out and escalates (patch overlap-unlock)."""
    settings = settings_for(sqlite_sessions)
    cohort, alpha, beta = await start(ts_env, sqlite_sessions)
    async with running_worker(ts_env.client, settings, sqlite_sessions):
        handles = {p: await start_journey(ts_env.client, settings, cohort, p) for p in (alpha, beta)}
        for pid in (alpha, beta):
            jid = journey_id(cohort.id, pid)
            await eventually(lambda jid=jid: waiting(sqlite_sessions, jid), what="the unlock wait is on the timeline")
        async with api_client(settings, ts_env.client) as api:
            files = {"file": ("accounts.csv", VENDOR_EXPORT.encode(), "text/csv")}
            answer = await api.post("/api/v1/vendor-accounts/import?format=salesforce", files=files)
            assert answer.status_code == 200, answer.text
        await invited(sqlite_sessions, journey_id(cohort.id, alpha), "intro")
        await ts_env.sleep(timedelta(days=11))
        await invited(sqlite_sessions, journey_id(cohort.id, beta), "account-plan")
        save("journey-unlocked-by-overlap", await handles[alpha].fetch_history())
        save("journey-unlock-timed-out", await handles[beta].fetch_history())


class TestReplay:
    @pytest.mark.parametrize(
        "name",
        [
            "journey-waited-for-deal--v1",
            "journey-wait-timed-out--v1",
            "journey-intro-requested--v1",
            "journey-completed--v2",
        ],
    )
    async def test_histories_from_before_unlocks_and_parallel_plays_replay(self, name: str) -> None:
        """Waits now share their loop with unlocks, and steps run through the parallel-aware runner."""
        await Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter).replay_workflow(
            load(HISTORIES / f"{name}.json")
        )

    @pytest.mark.parametrize(
        ("name", "patch"), [("journey-unlocked-by-overlap--v1", UNLOCKS), ("journey-parallel-play--v1", PARALLEL)]
    )
    async def test_the_new_paths_are_behind_their_patch(
        self, name: str, patch: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A run that took the new path does not replay as if the patch said no: the marker is what decides."""
        history = load(HISTORIES / f"{name}.json")
        unsandboxed = {"workflows": WORKFLOWS, "data_converter": pydantic_data_converter}
        await Replayer(**unsandboxed, workflow_runner=UnsandboxedWorkflowRunner()).replay_workflow(history)
        original = workflow.patched
        monkeypatch.setattr(workflow, "patched", lambda patch_id: patch_id != patch and original(patch_id))
        with pytest.raises(NondeterminismError):
            await Replayer(**unsandboxed, workflow_runner=UnsandboxedWorkflowRunner()).replay_workflow(history)
