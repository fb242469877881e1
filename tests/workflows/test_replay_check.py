"""`cosell replay-check`, the deploy gate: it passes on this build, and fails (exit 1, naming the history and
the NondeterminismError) on a build whose journey would break the runs saved in the corpus or running now."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment
from typer.testing import CliRunner

import cli
import replay_check
import worker
from db.session import SessionFactory
from tests.factories import create_cohort, partner, settings_for
from tests.waiting import eventually
from tests.workflows.broken_journey import BrokenJourney
from tests.workflows.helpers import partner_ids, running_worker, start_journey
from workflows.journey.workflow import PartnerJourneyWorkflow

HISTORIES = Path(__file__).parent / "histories"
SAVED = sorted(HISTORIES.glob("*.json"))
BROKEN = [BrokenJourney if w is PartnerJourneyWorkflow else w for w in worker.WORKFLOWS]


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


@pytest.mark.timeout(120)
async def test_running_journeys_are_replayed_from_the_cluster(
    dev_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
) -> None:
    settings = settings_for(sqlite_sessions)
    cohort = await create_cohort(sqlite_sessions, [partner("Alpha", "ISV")], starts_at=await dev_env.get_current_time())
    client = dev_env.client
    async with running_worker(client, settings, sqlite_sessions):
        [alpha] = await partner_ids(sqlite_sessions, cohort.id)
        handle = await start_journey(client, settings, cohort, alpha)

        async def an_activity_completed() -> bool:
            events = (await handle.fetch_history()).events
            return any(e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED for e in events)

        await eventually(an_activity_completed, what="an activity of the journey completed")

    async def listed() -> list[replay_check.Replayed]:
        return await replay_check.replay(worker.WORKFLOWS, replay_check.running(client, settings.task_queue, 10))

    assert await eventually(listed, what="the running journey listed") == [replay_check.Replayed(handle.id, None)]
    [broken] = await replay_check.replay(BROKEN, replay_check.running(client, settings.task_queue, 10))
    assert broken.name == handle.id and (broken.failure or "").startswith("NondeterminismError"), broken
    await handle.terminate("test over")
