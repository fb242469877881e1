"""Experiments on the time-skipping server: each partner is given a variant once, by workflow randomness;
the variant's content is what its email and step page say and its due days what the step is due in; the
partner keeps the variant across continue-as-new (the next stage's run draws nothing), and a play's
variant decides which of the play's steps run. Plus the saved history of a run that met an experiment."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from temporalio import workflow
from temporalio.client import WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, UnsandboxedWorkflowRunner
from temporalio.workflow import NondeterminismError

from db.experiment_models import JourneyVariant
from db.repositories import playbooks as playbook_repo
from db.session import SessionFactory, transaction
from playbooks.loader import load_playbook
from tests.api.helpers import api_client
from tests.factories import create_cohort, partner, settings_for
from tests.waiting import eventually
from tests.workflows.helpers import emails, events, partner_ids, running_worker, start_journey, steps
from tests.workflows.test_conditions import invited
from tests.workflows.test_parallel_plays import complete, page_of
from tests.workflows.test_replay import HISTORIES, load, save
from worker import WORKFLOWS
from workflows.journey.experiments import EXPERIMENTS
from workflows.journey.messages import SendBack
from workflows.journey.workflow import PartnerJourneyWorkflow

PLAYBOOK = Path(__file__).parent / "playbooks" / "experiment-tone.yaml"
SUBJECTS = {
    "rules": {"formal": "Please review the rules of engagement", "casual": "Two minutes: how we co-sell"},
    "book-call": {"formal": "Kindly book the account planning call", "casual": "Let's get a call in the diary"},
}
NAMES = ("Alpha Analytics", "Beta Builders", "Gamma Group", "Delta Data")


async def assigned(sessions: SessionFactory, jid: str) -> dict[str, str]:
    async with transaction(sessions) as session:
        rows = await session.scalars(select(JourneyVariant).where(JourneyVariant.journey_id == jid))
        return {r.experiment: r.variant for r in rows}


async def subject_of(sessions: SessionFactory, jid: str, step_key: str) -> str:
    async def probe() -> str | None:
        return next(
            (e.subject for e in await emails(sessions, jid) if e.dedupe_key.endswith(f"/{step_key}/invite/0")), None
        )

    return await eventually(probe, what=f"{jid}'s invite to {step_key}")


def drawn_in(history_events: list, experiment: str) -> int:
    """How many times a run recorded a draw of `experiment` (a run that keeps a variant records none)."""
    found = 0
    for event in history_events:
        if event.HasField("activity_task_scheduled_event_attributes"):
            attrs = event.activity_task_scheduled_event_attributes
            if attrs.activity_type.name == "record_variant":
                payload = pydantic_data_converter.payload_converter.from_payloads(attrs.input.payloads)[0]
                found += payload["experiment"] == experiment
    return found


async def start(env: WorkflowEnvironment, sessions: SessionFactory, names: tuple[str, ...]) -> tuple:
    async with transaction(sessions) as session:
        await playbook_repo.publish(session, load_playbook(PLAYBOOK))
    now = await env.get_current_time()
    cohort = await create_cohort(sessions, [partner(n) for n in names], starts_at=now, playbook_id="experiment-tone")
    return cohort, await partner_ids(sessions, cohort.id)


class TestExperiments:
    @pytest.mark.timeout(180)
    async def test_sticky_variant_across_continue_as_new_with_its_content(
        self, ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
    ) -> None:
        settings = settings_for(sqlite_sessions)
        cohort, pids = await start(ts_env, sqlite_sessions, NAMES)
        async with (
            running_worker(ts_env.client, settings, sqlite_sessions),
            api_client(settings, ts_env.client) as api,
        ):
            handles = [await start_journey(ts_env.client, settings, cohort, pid) for pid in pids]
            first: dict[str, tuple[str, str]] = {}
            for handle in handles:
                await invited(sqlite_sessions, handle.id, "rules")
                tone = (await assigned(sqlite_sessions, handle.id))["tone"]
                first[handle.id] = (tone, (await handle.describe()).run_id)
                assert await subject_of(sqlite_sessions, handle.id, "rules") == SUBJECTS["rules"][tone]
                row = (await steps(sqlite_sessions, handle.id))["rules"]
                due_in = row.due_at - row.invited_at  # formal: 3 business days, casual: 12
                assert due_in <= timedelta(days=6) if tone == "formal" else due_in >= timedelta(days=14), (tone, due_in)
                page = (await api.get(page_of(settings, handle.id, "rules"))).text
                assert ("that&#39;s it" in page or "that's it" in page) == (tone == "casual"), page
                await complete(handle, "rules")
            for handle in handles:  # the gate passes: the activation stage is a new run
                await invited(sqlite_sessions, handle.id, "book-call")
                tone, run_id = first[handle.id]
                desc = await handle.describe()
                assert desc.run_id != run_id
                assert (await handle.query(PartnerJourneyWorkflow.progress)).variants == {"tone": tone}
                assert drawn_in((await handle.fetch_history()).events, "tone") == 0  # kept, not drawn again
                assert await subject_of(sqlite_sessions, handle.id, "book-call") == SUBJECTS["book-call"][tone]
                await complete(handle, "book-call")
                sent_back = SendBack(step_key="rules", comment="Tick it again, please", key="again")
                revision = await handle.execute_update(PartnerJourneyWorkflow.send_back, sent_back)
                # The variant's days again (3 or 12 business days, the casual ones capped by the window's end in
                # 14 days), not the step's 5 (7 calendar days).
                due_in = revision.due_at - await ts_env.get_current_time()
                assert due_in <= timedelta(days=6) if tone == "formal" else due_in >= timedelta(days=10), (tone, due_in)
            for handle in handles:
                await play_variant_decides_the_steps(sqlite_sessions, handle)
        tones = {jid: (await assigned(sqlite_sessions, jid))["tone"] for jid in first}
        assert tones == {jid: tone for jid, (tone, _) in first.items()}


async def play_variant_decides_the_steps(sessions: SessionFactory, handle: WorkflowHandle) -> None:
    """`short` leaves reference-call out (skipped, saying why); `full` runs both proof steps."""
    await invited(sessions, handle.id, "case-study")
    path = (await assigned(sessions, handle.id))["proof-path"]
    await complete(handle, "case-study")
    if path == "full":
        await invited(sessions, handle.id, "reference-call")
        return

    async def skipped() -> dict | None:
        found = [e for e in await events(sessions, handle.id) if e.kind == "step_skipped"]
        return found[0].data if found and found[0].step_key == "reference-call" else None

    data = await eventually(skipped, what=f"{handle.id} skipped reference-call")
    assert data["reason"] == "experiment proof-path: variant short leaves it out"


class TestReplay:
    async def test_a_run_that_met_an_experiment_replays_and_needs_the_patch(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        history = load(HISTORIES / "journey-experiment--v1.json")
        unsandboxed = {"workflows": WORKFLOWS, "data_converter": pydantic_data_converter}
        await Replayer(**unsandboxed, workflow_runner=UnsandboxedWorkflowRunner()).replay_workflow(history)
        original = workflow.patched
        monkeypatch.setattr(workflow, "patched", lambda patch_id: patch_id != EXPERIMENTS and original(patch_id))
        with pytest.raises(NondeterminismError):
            await Replayer(**unsandboxed, workflow_runner=UnsandboxedWorkflowRunner()).replay_workflow(history)

    @pytest.mark.parametrize("name", ["journey-completed--v2", "journey-parallel-play--v1"])
    async def test_runs_from_before_experiments_replay(self, name: str) -> None:
        """Every step now passes through the variant check: runs that never met an experiment are unchanged."""
        await Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter).replay_workflow(
            load(HISTORIES / f"{name}.json")
        )


@pytest.mark.skipif(not os.environ.get("COSELL_RECORD_HISTORIES"), reason="set COSELL_RECORD_HISTORIES=1 to re-record")
async def test_record_experiment_history(ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory) -> None:
    """The kickoff stage's run: a variant drawn and recorded, its step completed, continue-as-new."""
    settings = settings_for(sqlite_sessions)
    cohort, [pid] = await start(ts_env, sqlite_sessions, ("Alpha Analytics",))
    async with running_worker(ts_env.client, settings, sqlite_sessions):
        handle = await start_journey(ts_env.client, settings, cohort, pid)
        await invited(sqlite_sessions, handle.id, "rules")
        run_id = (await handle.describe()).run_id
        await complete(handle, "rules")
        await invited(sqlite_sessions, handle.id, "book-call")
        first = ts_env.client.get_workflow_handle(handle.id, run_id=run_id)
        save("journey-experiment", await first.fetch_history())
