"""`cosell replay-check`, the deploy gate: it passes on this build, and fails (exit 1, naming the history and
the NondeterminismError) on a build whose journey would break the runs saved in the corpus or running now."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import NamedTuple

import pytest
import pytest_asyncio
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment
from typer.testing import CliRunner

import cli
import replay_check
import worker
from db.session import SessionFactory
from settings import get_settings
from tests.factories import create_cohort, partner, settings_for
from tests.waiting import eventually
from tests.workflows.broken_journey import BrokenJourney
from tests.workflows.helpers import partner_ids, running_worker, start_journey
from workflows.journey.workflow import PartnerJourneyWorkflow

HISTORIES = Path(__file__).parent / "histories"
SAVED = sorted(HISTORIES.glob("*.json"))
BROKEN = [BrokenJourney if w is PartnerJourneyWorkflow else w for w in worker.WORKFLOWS]


class Running(NamedTuple):
    address: str
    task_queue: str
    workflow_id: str


def check(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli.app, ["replay-check", *args])
    return result.exit_code, result.output


@pytest.mark.timeout(120)
def test_this_build_replays_every_saved_history() -> None:
    code, output = check("--histories", str(HISTORIES))
    assert (code, output.splitlines()[-1]) == (0, f"{len(SAVED)} replayed, 0 failed"), output
    assert output.count("ok   ") == len(SAVED), output


@pytest.mark.timeout(120)
def test_a_breaking_change_to_the_journey_fails_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(worker, "WORKFLOWS", BROKEN)
    code, output = check("--histories", str(HISTORIES))
    journeys = [p.stem for p in SAVED if p.stem.startswith("journey-")]
    assert code == 1, output
    for name in journeys:
        assert f"FAIL {name}: NondeterminismError" in output, output
    assert output.count("ok   ") == len(SAVED) - len(journeys), output


def test_no_history_is_not_a_pass(tmp_path: Path) -> None:
    code, output = check("--histories", str(tmp_path))
    assert code == 1 and "0 replayed" in output, output


@pytest_asyncio.fixture
async def running_journey(dev_env: WorkflowEnvironment, sqlite_sessions: SessionFactory) -> AsyncIterator[Running]:
    """A journey open on the dev server that has run past its first activity, and no worker left."""
    settings = settings_for(sqlite_sessions)
    cohort = await create_cohort(sqlite_sessions, [partner("Alpha", "ISV")], starts_at=await dev_env.get_current_time())
    async with running_worker(dev_env.client, settings, sqlite_sessions):
        [alpha] = await partner_ids(sqlite_sessions, cohort.id)
        handle = await start_journey(dev_env.client, settings, cohort, alpha)

        async def an_activity_completed() -> bool:
            events = (await handle.fetch_history()).events
            return any(e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED for e in events)

        await eventually(an_activity_completed, what="an activity of the journey completed")

    async def listed() -> list[replay_check.Replayed]:
        return await replay_check.replay(worker.WORKFLOWS, replay_check.running(dev_env.client, settings.task_queue, 9))

    assert await eventually(listed, what="the running journey listed") == [replay_check.Replayed(handle.id, None)]
    yield Running(dev_env.client.service_client.config.target_host, settings.task_queue, handle.id)
    await handle.terminate("test over")


@pytest.mark.timeout(120)
def test_the_check_replays_the_clusters_running_journeys(
    running_journey: Running, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("COSELL_TEMPORAL_ADDRESS", running_journey.address)
    monkeypatch.setenv("COSELL_TASK_QUEUE", running_journey.task_queue)
    get_settings.cache_clear()
    try:
        passed = check("--histories", str(tmp_path), "--running", "9")
        monkeypatch.setattr(worker, "WORKFLOWS", BROKEN)
        failed = check("--histories", str(tmp_path), "--running", "9")
    finally:
        get_settings.cache_clear()
    assert passed == (0, f"ok   {running_journey.workflow_id}\n1 replayed, 0 failed\n"), passed
    assert failed[0] == 1 and f"FAIL {running_journey.workflow_id}: NondeterminismError" in failed[1], failed
