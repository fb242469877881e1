"""Saved histories of representative runs must replay against the current workflow code.

Regenerate after a deliberate, versioned change: COSELL_RECORD_HISTORIES=1 pytest tests/workflows/test_replay.py
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer
from temporalio.workflow import NondeterminismError

from api.cohorts import service
from db.session import SessionFactory
from tests.factories import create_cohort, partner, settings_for
from tests.workflows.broken_journey import BrokenJourney
from tests.workflows.helpers import partner_ids, running_worker
from worker import WORKFLOWS
from workflows.journey import PartnerJourneyWorkflow
from workflows.types import (
    GateDecision,
    StepSubmission,
    WindowChange,
    journey_id,
    window_id,
)
from workflows.window import ActivationWindowWorkflow

HISTORIES = Path(__file__).parent / "histories"
SAVED = sorted(HISTORIES.glob("*.json"))
ICP = {"industry": "Healthcare", "company_size": "800", "trigger": "Exiting their data centre next year"}


def load(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(path.stem, path.read_text())


class TestReplay:
    def test_the_corpus_covers_every_workflow(self) -> None:
        assert {p.name.split("--")[0] for p in SAVED} >= {"journey-completed", "journey-held", "window-paused"}

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
        }
        for name, handle in histories.items():
            history = await handle.fetch_history()
            (HISTORIES / f"{name}--v1.json").write_text(history.to_json())
