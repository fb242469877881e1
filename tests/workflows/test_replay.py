"""Saved histories of representative runs must replay against the current workflow code.

Record missing histories: COSELL_RECORD_HISTORIES=1 pytest tests/workflows/test_replay.py. A saved history
is never overwritten (it proves an older code path still replays); delete the file to re-record it.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, UnsandboxedWorkflowRunner
from temporalio.workflow import NondeterminismError, _Definition

from activities.intros import digest_slot
from api.cohorts import service
from api.feedback.start import request_feedback
from db.session import SessionFactory
from tests.deal_data import registration
from tests.factories import create_cohort, partner, settings_for
from tests.intro_data import overlap
from tests.workflows.broken_journey import BrokenJourney, UnpatchedJourney
from tests.workflows.feedback_helpers import ANSWERS, add_ae, add_deal
from tests.workflows.helpers import partner_ids, running_worker, start_journey
from tests.workflows.test_intro_requests import WHY, intro_rows, open_step, setup, sleep_until
from worker import WORKFLOWS
from workflows.ae_feedback.messages import FeedbackAnswers, feedback_workflow_id
from workflows.ae_feedback.workflow import AeFeedbackWorkflow
from workflows.intro_batch.messages import IntroAnswer, intro_batch_id
from workflows.intro_batch.workflow import IntroBatchWorkflow
from workflows.journey.effects import LOCAL_COMPLETION
from workflows.journey.messages import GateDecision, StepSubmission, journey_id
from workflows.journey.workflow import PartnerJourneyWorkflow
from workflows.shard.messages import shard_id
from workflows.tier_review.messages import tier_review_workflow_id
from workflows.waiting import UNCANCELLED_TIMERS
from workflows.window.messages import WindowChange, window_id
from workflows.window.workflow import ActivationWindowWorkflow

HISTORIES = Path(__file__).parent / "histories"
SAVED = sorted(HISTORIES.glob("*.json"))
ICP = {"industry": "Healthcare", "company_size": "800", "trigger": "Exiting their data centre next year"}


def load(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(path.stem, path.read_text())


def workflow_type(history: WorkflowHistory) -> str:
    return history.events[0].workflow_execution_started_event_attributes.workflow_type.name


def save(name: str, history: WorkflowHistory, version: int = 1) -> None:
    """`version` counts the code paths one run has had: a run recorded again after a patch gets the next one,
    and the older file stays to prove journeys begun before the patch still replay."""
    path = HISTORIES / f"{name}--v{version}.json"
    if not path.exists():
        path.write_text(history.to_json())


class TestReplay:
    def test_the_corpus_covers_every_workflow(self) -> None:
        assert {p.name.split("--")[0] for p in SAVED} >= {"journey-completed", "journey-held", "window-paused"}
        registered = {_Definition.must_from_class(w).name for w in WORKFLOWS}
        missing = registered - {workflow_type(load(p)) for p in SAVED}
        assert not missing, f"no saved history for {sorted(missing)}: record one (see the module docstring)"

    @pytest.mark.parametrize("path", SAVED, ids=[p.stem for p in SAVED])
    async def test_saved_history_replays(self, path: Path) -> None:
        await Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter).replay_workflow(load(path))

    async def test_a_breaking_change_is_caught(self) -> None:
        """An extra activity before the first one is exactly the change replay must refuse."""
        journey = next(p for p in SAVED if p.name.startswith("journey-completed"))
        with pytest.raises(NondeterminismError):
            await Replayer(workflows=[BrokenJourney], data_converter=pydantic_data_converter).replay_workflow(
                load(journey)
            )

    @pytest.mark.parametrize("name", ["journey-deal-registered--v1"])
    async def test_a_history_from_before_a_patch_needs_it(self, name: str) -> None:
        """Without `workflow.patched`, a journey begun before the change would not replay: the patch is needed."""
        replayer = Replayer(workflows=[UnpatchedJourney], data_converter=pydantic_data_converter)
        await Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter).replay_workflow(
            load(HISTORIES / f"{name}.json")
        )
        with pytest.raises(NondeterminismError):
            await replayer.replay_workflow(load(HISTORIES / f"{name}.json"))

    async def test_completions_project_locally_since_the_patch(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """v3 recorded each completion's projection as a local-activity marker; v2, from before, replays its
        activity only because the branch is behind LOCAL_COMPLETION."""
        markers = [
            e
            for e in load(HISTORIES / "journey-completed--v3.json").events
            if e.HasField("marker_recorded_event_attributes")
        ]
        assert any(e.marker_recorded_event_attributes.marker_name == "core_local_activity" for e in markers), markers
        history = load(HISTORIES / "journey-completed--v2.json")
        unsandboxed = {"workflows": WORKFLOWS, "data_converter": pydantic_data_converter}
        await Replayer(**unsandboxed, workflow_runner=UnsandboxedWorkflowRunner()).replay_workflow(history)
        original = workflow.patched
        monkeypatch.setattr(workflow, "patched", lambda patch_id: patch_id == LOCAL_COMPLETION or original(patch_id))
        with pytest.raises(NondeterminismError):
            await Replayer(**unsandboxed, workflow_runner=UnsandboxedWorkflowRunner()).replay_workflow(history)

    @pytest.mark.parametrize("name", ["journey-completed--v1", "window-paused--v1"])
    async def test_waits_begun_before_uncancelled_timers_need_the_patch(
        self, name: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Those runs cancelled their wait timers; taking the new branch unconditionally must not replay them."""
        history = load(HISTORIES / f"{name}.json")
        unsandboxed = {"workflows": WORKFLOWS, "data_converter": pydantic_data_converter}
        await Replayer(**unsandboxed, workflow_runner=UnsandboxedWorkflowRunner()).replay_workflow(history)
        original = workflow.patched
        monkeypatch.setattr(workflow, "patched", lambda patch_id: patch_id == UNCANCELLED_TIMERS or original(patch_id))
        with pytest.raises(NondeterminismError):
            await Replayer(**unsandboxed, workflow_runner=UnsandboxedWorkflowRunner()).replay_workflow(history)


@pytest.mark.skipif(not os.environ.get("COSELL_RECORD_HISTORIES"), reason="set COSELL_RECORD_HISTORIES=1 to re-record")
async def test_record_histories(ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory) -> None:
    settings = settings_for(sqlite_sessions)
    now = await ts_env.get_current_time()
    cohort = await create_cohort(
        sqlite_sessions, [partner("Alpha", "ISV"), partner("Beta", "SI")], starts_at=now, pm_email="pm@vendor.example"
    )
    alpha, beta = await partner_ids(sqlite_sessions, cohort.id)
    async with running_worker(ts_env.client, settings, sqlite_sessions):
        await service.launch(ts_env.client, settings.task_queue, cohort)
        window = ts_env.client.get_workflow_handle(window_id(cohort.id))
        await ts_env.sleep(timedelta(hours=1))
        first_alpha_run = (await ts_env.client.get_workflow_handle(journey_id(cohort.id, alpha)).describe()).run_id
        client = ts_env.client
        for key, answers in (("icp", ICP), ("rules", {"acknowledged": "yes"})):
            await client.get_workflow_handle(journey_id(cohort.id, alpha)).execute_update(
                PartnerJourneyWorkflow.complete_step, StepSubmission(step_key=key, answers=answers)
            )
            await ts_env.sleep(timedelta(hours=1))
        await window.signal(ActivationWindowWorkflow.change, WindowChange(key="pause", paused=True))
        await ts_env.sleep(timedelta(days=1))
        await window.signal(ActivationWindowWorkflow.change, WindowChange(key="resume", paused=False))
        await ts_env.sleep(timedelta(days=6))  # Beta stays silent and is held at the gate
        first_beta_run = (await client.get_workflow_handle(journey_id(cohort.id, beta)).describe()).run_id
        await client.get_workflow_handle(journey_id(cohort.id, beta)).signal(
            PartnerJourneyWorkflow.decide_gate, GateDecision(decision="advance", reason="recorded")
        )
        await ts_env.sleep(timedelta(hours=1))
        histories = {
            "journey-completed": client.get_workflow_handle(journey_id(cohort.id, alpha), run_id=first_alpha_run),
            "journey-held": client.get_workflow_handle(journey_id(cohort.id, beta), run_id=first_beta_run),
            "window-paused": window,
            "shard-relayed": client.get_workflow_handle(shard_id(cohort.id, 0)),
        }
        # v2: waits leave their timers running (patch "uncancelled-timers"); v1 cancelled them.
        # journey-completed v3: a completion's projection is a local activity (LOCAL_COMPLETION).
        for name, handle in histories.items():
            save(name, await handle.fetch_history(), version={"journey-completed": 3, "shard-relayed": 1}.get(name, 2))


@pytest.mark.skipif(not os.environ.get("COSELL_RECORD_HISTORIES"), reason="set COSELL_RECORD_HISTORIES=1 to re-record")
async def test_record_motion_histories(ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory) -> None:
    """cosell-motion-21d: the intro-request stage, the deal-registration stage and the AE's answered batch."""
    settings = settings_for(sqlite_sessions)
    crm, [alpha], cohort = await setup(ts_env, sqlite_sessions, "Alpha Analytics")
    await overlap(sqlite_sessions, crm, alpha, "Northwind Components", "Contoso Pharmaceuticals")
    jid = journey_id(cohort.id, alpha)
    client = ts_env.client
    async with running_worker(client, settings, sqlite_sessions):
        await start_journey(client, settings, cohort, alpha)
        handle = client.get_workflow_handle(jid)
        await open_step(ts_env, jid, "account-list-upload")
        upload = StepSubmission(step_key="account-list-upload", answers={"accounts": 40, "overlapping": 2})
        await handle.execute_update(PartnerJourneyWorkflow.complete_step, upload)
        await open_step(ts_env, jid, "ae-intro-request")
        intro_run = (await handle.describe()).run_id
        answers = {"accounts": [crm.account_ids["Northwind Components"]], "reason": WHY["Alpha Analytics"]}
        intro = StepSubmission(step_key="ae-intro-request", answers=answers)
        await client.get_workflow_handle(jid).execute_update(PartnerJourneyWorkflow.complete_step, intro)
        await open_step(ts_env, jid, "register-deal")
        deal_run = (await handle.describe()).run_id
        deal = StepSubmission(step_key="register-deal", answers=registration())
        await client.get_workflow_handle(jid).execute_update(PartnerJourneyWorkflow.complete_step, deal)
        await client.get_workflow_handle(jid, run_id=deal_run).result()
        [row] = await intro_rows(sqlite_sessions)
        day, send_at = digest_slot(row.requested_at)
        batch = client.get_workflow_handle(intro_batch_id(crm.ae_ids["dana"], day))
        await sleep_until(ts_env, send_at + timedelta(minutes=5))
        await batch.execute_update(IntroBatchWorkflow.answer, IntroAnswer(request_id=row.id, answer="accept"))
        assert await batch.result() == []
        save("journey-intro-requested", await client.get_workflow_handle(jid, run_id=intro_run).fetch_history())
        # v1 registered the deal inside the completion's projection (before "deal-registration-activity").
        deal_history = await client.get_workflow_handle(jid, run_id=deal_run).fetch_history()
        save("journey-deal-registered", deal_history, version=2)
        save("intro-batch-answered", await batch.fetch_history())


@pytest.mark.skipif(not os.environ.get("COSELL_RECORD_HISTORIES"), reason="set COSELL_RECORD_HISTORIES=1 to re-record")
async def test_record_feedback_history(ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory) -> None:
    """A reminder, an answer that reaches the partner's running journey, a revision, then expiry."""
    settings = settings_for(sqlite_sessions)
    now = await ts_env.get_current_time()
    cohort = await create_cohort(sqlite_sessions, [partner("Fabrikam Cloud Partners", "SI")], starts_at=now)
    [pid] = await partner_ids(sqlite_sessions, cohort.id)
    ae = await add_ae(sqlite_sessions)
    deal = await add_deal(sqlite_sessions, cohort.id, pid, ae, registered_at=now)
    async with running_worker(ts_env.client, settings, sqlite_sessions):
        await start_journey(ts_env.client, settings, cohort, pid)
        await open_step(ts_env, journey_id(cohort.id, pid), "icp")
        assert await request_feedback(ts_env.client, settings, deal, ae, pid)
        handle = ts_env.client.get_workflow_handle_for(AeFeedbackWorkflow.run, feedback_workflow_id(deal, ae))
        await ts_env.sleep(timedelta(days=5))
        assert (await handle.query(AeFeedbackWorkflow.state)).reminders_sent
        await handle.execute_update(AeFeedbackWorkflow.submit, FeedbackAnswers(**ANSWERS))
        revised = FeedbackAnswers(**{**ANSWERS, "responsiveness": 5})
        await handle.execute_update(AeFeedbackWorkflow.submit, revised)
        await ts_env.sleep(timedelta(days=10))
        assert (await handle.result()).status == "answered"
        save("feedback-answered", await handle.fetch_history())


@pytest.mark.skipif(not os.environ.get("COSELL_RECORD_HISTORIES"), reason="set COSELL_RECORD_HISTORIES=1 to re-record")
async def test_record_scheduled_history(ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory) -> None:
    """The scheduled-start path: a future start, a reschedule, then the start and a partner's invite."""
    settings = settings_for(sqlite_sessions)
    now = await ts_env.get_current_time()
    cohort = await create_cohort(sqlite_sessions, [partner("Alpha", "ISV")], starts_at=now + timedelta(days=2))
    async with running_worker(ts_env.client, settings, sqlite_sessions):
        await service.launch(ts_env.client, settings.task_queue, cohort)
        window = ts_env.client.get_workflow_handle(window_id(cohort.id))
        await ts_env.sleep(timedelta(hours=1))
        later = WindowChange(key="later", starts_at=cohort.starts_at + timedelta(days=1))
        await window.signal(ActivationWindowWorkflow.change, later)
        await ts_env.sleep(timedelta(days=3, hours=1))
        assert await window.query(ActivationWindowWorkflow.partners_assigned) == 1
        save("window-scheduled", await window.fetch_history())


async def test_record_tier_review_history(ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory) -> None:
    """A review of three partners, two pages per run: a continued run that pages, finishes and sends the digest."""
    from tests.deal_data import program_id
    from tests.workflows.test_tier_review import review, three_partners

    settings = settings_for(sqlite_sessions)
    await three_partners(sqlite_sessions, await ts_env.get_current_time())
    program = await program_id(sqlite_sessions)
    async with running_worker(ts_env.client, settings, sqlite_sessions):
        result = await review(ts_env, settings, program, "2026-11", page_size=2, pages_per_run=2)
        assert result.moved == 2
        handle = ts_env.client.get_workflow_handle(tier_review_workflow_id(program, "2026-11"))
        save("tier-review-done", await handle.fetch_history())


@pytest.mark.skipif(not os.environ.get("COSELL_RECORD_HISTORIES"), reason="set COSELL_RECORD_HISTORIES=1 to re-record")
async def test_record_webhook_histories(ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory) -> None:
    """A dispatch that starts one partner's delivery workflow, whose first attempt is answered 500 and retried."""
    from tests.webhook_receiver import receiver
    from tests.workflows.webhook_helpers import dispatch, emit_step, subscribe

    settings = settings_for(sqlite_sessions)
    await create_cohort(sqlite_sessions, [partner()])
    async with receiver([500]) as rec, running_worker(ts_env.client, settings, sqlite_sessions):
        sub = await subscribe(sqlite_sessions, rec.url)
        await emit_step(sqlite_sessions, sub, "p1", "icp")
        await emit_step(sqlite_sessions, sub, "p1", "rules")
        assert await dispatch(ts_env, settings, "webhook-dispatch") == [["200", "200"]]
        dispatched = ts_env.client.get_workflow_handle("webhook-dispatch")
        save("webhook-dispatch", await dispatched.fetch_history())
        [child] = await dispatched.result()
        save("webhook-delivery-retried", await ts_env.client.get_workflow_handle(child).fetch_history())
