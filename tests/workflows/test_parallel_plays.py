"""Parallel plays on the time-skipping server: every step of the play opens at once with its own due
date, the partner does them in any order, and the play completes when all (or `complete_when`) are done;
a step the play no longer needs closes, and its page refuses an answer."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from db.models import JourneyEvent
from db.repositories import playbooks as playbook_repo
from db.session import SessionFactory, transaction
from db.views import dashboard
from domain.links import StepClaims
from playbooks.loader import load_playbook
from settings import Settings
from tests.api.helpers import api_client
from tests.factories import create_cohort, partner, settings_for
from tests.waiting import eventually
from tests.workflows.helpers import events, partner_ids, running_worker, start_journey, steps
from tests.workflows.test_conditions import invited
from tests.workflows.test_replay import save
from wiring import make_signer
from workflows.journey.messages import JourneyProgress, StepSubmission, journey_id
from workflows.journey.workflow import PartnerJourneyWorkflow
from workflows.window.messages import WindowChange

PLAYBOOK = Path(__file__).parent / "playbooks" / "parallel-launch.yaml"
TICKED = {"acknowledged": "yes"}


async def open_steps(handle: WorkflowHandle, sessions: SessionFactory, *keys: str) -> JourneyProgress:
    """These steps are open, and each was invited (the partner acts from its email)."""

    async def probe() -> JourneyProgress | None:
        progress = await handle.query(PartnerJourneyWorkflow.progress)
        rows = await steps(sessions, handle.id)
        if sorted(s.step_key for s in progress.open_steps) == sorted(keys) and set(keys) <= set(rows):
            return progress
        return None

    return await eventually(probe, what=f"open and invited steps {sorted(keys)}")


async def complete(handle: WorkflowHandle, step_key: str) -> None:
    await handle.execute_update(PartnerJourneyWorkflow.complete_step, StepSubmission(step_key=step_key, answers=TICKED))


def page_of(settings: Settings, jid: str, step_key: str) -> str:
    return "/p/" + make_signer(settings).sign_step(StepClaims(journey_id=jid, step_key=step_key))


async def run_launch(
    env: WorkflowEnvironment, sessions: SessionFactory, settings: Settings, api: httpx.AsyncClient | None = None
) -> tuple[str, WorkflowHandle]:
    """Listing play done in reverse order, then two of the three proof steps (the last one first)."""
    async with transaction(sessions) as session:
        await playbook_repo.publish(session, load_playbook(PLAYBOOK))
    now = await env.get_current_time()
    cohort = await create_cohort(sessions, [partner("Alpha Analytics")], starts_at=now, playbook_id="parallel-launch")
    [alpha] = await partner_ids(sessions, cohort.id)
    handle = await start_journey(env.client, settings, cohort, alpha)
    first = await open_steps(handle, sessions, "marketplace-listing", "one-pager")
    dues = {s.step_key: s.due_at for s in first.open_steps}
    assert dues["marketplace-listing"] > dues["one-pager"]  # each step its own due date (10 and 6 days)
    async with transaction(sessions) as session:  # the partner's dashboard page lists both
        [row] = await dashboard.journeys_of_partner(session, alpha)
    assert sorted(row.steps_now) == ["marketplace-listing", "one-pager"]
    if api is not None:  # each step's page names the other, with its own link
        html = (await api.get(page_of(settings, handle.id, "one-pager"))).text
        assert "Also open in this play, in any order:" in html
        [token] = re.findall(r'<a href="/p/([^"]+)">Publish the marketplace listing</a>', html)
        assert make_signer(settings).verify_step(token).step_key == "marketplace-listing"
    await complete(handle, "one-pager")  # the second step of the play first
    await open_steps(handle, sessions, "marketplace-listing")
    await complete(handle, "marketplace-listing")
    await open_steps(handle, sessions, "case-study", "reference-call", "demo-video")
    await complete(handle, "demo-video")
    await complete(handle, "case-study")
    return journey_id(cohort.id, alpha), handle


class TestParallelPlays:
    @pytest.mark.timeout(120)
    async def test_steps_done_out_of_order_complete_the_play_and_n_of_m_closes_the_rest(
        self, ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
    ) -> None:
        settings = settings_for(sqlite_sessions)
        async with (
            running_worker(ts_env.client, settings, sqlite_sessions),
            api_client(settings, ts_env.client) as api,
        ):
            jid, handle = await run_launch(ts_env, sqlite_sessions, settings, api)
            timeline = await invited(sqlite_sessions, jid, "account-plan")
            progress = await open_steps(handle, sqlite_sessions, "account-plan")
            with pytest.raises(WorkflowUpdateFailedError):  # closed with its play: nothing to answer
                await complete(handle, "reference-call")
            closed = await api.get(page_of(settings, jid, "reference-call"))
        assert closed.status_code == 410 and "is no longer needed" in closed.text
        rows = await steps(sqlite_sessions, jid)
        assert progress.completed == ["one-pager", "marketplace-listing", "demo-video", "case-study"]
        assert progress.overdue == []
        assert {k: rows[k].status for k in ("case-study", "demo-video", "reference-call")} == {
            "case-study": "completed",
            "demo-video": "completed",
            "reference-call": "closed",  # it was open: its page now says it closed
        }
        branches = {e.step_key: e.data.get("branch") for e in timeline if e.kind in ("step_completed", "step_skipped")}
        assert branches == {
            "one-pager": "parallel: done 1 of 2",
            "marketplace-listing": "parallel: done 2 of 2",
            "demo-video": "parallel: done 1 of 3",
            "case-study": "parallel: done 2 of 3",
            "reference-call": "closed: the play had 2 of 3",
        }

    @pytest.mark.timeout(120)
    async def test_a_pause_moves_every_open_steps_due_date_once(
        self, ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
    ) -> None:
        settings = settings_for(sqlite_sessions)
        async with transaction(sqlite_sessions) as session:
            await playbook_repo.publish(session, load_playbook(PLAYBOOK))
        now = await ts_env.get_current_time()
        cohort = await create_cohort(sqlite_sessions, [partner("Alpha")], starts_at=now, playbook_id="parallel-launch")
        [alpha] = await partner_ids(sqlite_sessions, cohort.id)
        async with running_worker(ts_env.client, settings, sqlite_sessions):
            handle = await start_journey(ts_env.client, settings, cohort, alpha)
            before = await open_steps(handle, sqlite_sessions, "marketplace-listing", "one-pager")
            await handle.signal(PartnerJourneyWorkflow.window_changed, WindowChange(key="pause", paused=True))
            await ts_env.sleep(timedelta(days=3))  # inside the 6-day due date: nothing falls due while paused
            await handle.signal(PartnerJourneyWorkflow.window_changed, WindowChange(key="resume", paused=False))

            async def resumed() -> list[JourneyEvent] | None:
                found = await events(sqlite_sessions, handle.id)
                return found if "journey_resumed" in [e.kind for e in found] else None

            timeline = await eventually(resumed, what="the journey resumed")
            after = await open_steps(handle, sqlite_sessions, "marketplace-listing", "one-pager")
        [paused] = [e for e in timeline if e.kind == "journey_resumed"]
        moved = {a.step_key: a.due_at - b.due_at for a, b in zip(after.open_steps, before.open_steps, strict=True)}
        shift = timedelta(days=paused.data["paused_days"])
        assert all(abs(m - shift) < timedelta(minutes=1) for m in moved.values()), (moved, shift)
        assert shift > timedelta(days=2)


@pytest.mark.skipif(not os.environ.get("COSELL_RECORD_HISTORIES"), reason="set COSELL_RECORD_HISTORIES=1 to re-record")
async def test_record_parallel_history(ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory) -> None:
    """Two parallel plays, done out of order, the second two of three (patch parallel-plays)."""
    settings = settings_for(sqlite_sessions)
    async with running_worker(ts_env.client, settings, sqlite_sessions):
        jid, handle = await run_launch(ts_env, sqlite_sessions, settings)
        await invited(sqlite_sessions, jid, "account-plan")
        save("journey-parallel-play", await handle.fetch_history())
