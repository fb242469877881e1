"""`when:` conditions on the time-skipping server with the shipped overlap-first-21d playbook: its
list-refresh step runs only `when: overlap.count == 0`, and its intro-request step is unlocked by overlap.
A partner with overlap skips the refresh (the facts the activity read are on the timeline) and is asked
for introductions at once; one without is asked to widen its account list first."""

from __future__ import annotations

import os

import pytest
from temporalio.testing import WorkflowEnvironment

from db.models import JourneyEvent
from db.session import SessionFactory
from tests.factories import create_cohort, partner, settings_for
from tests.intro_data import overlap, seed_crm
from tests.waiting import eventually
from tests.workflows.helpers import events, partner_ids, running_worker, start_journey
from tests.workflows.test_intro_requests import open_step
from tests.workflows.test_replay import save
from workflows.journey.messages import StepSubmission, journey_id
from workflows.journey.workflow import PartnerJourneyWorkflow

GATED = "overlap-first-21d"
CONDITION = "overlap.count == 0"


async def upload(env: WorkflowEnvironment, sessions: SessionFactory, jid: str, overlapping: int) -> None:
    # As a partner would: after the invite (its step row, where the answers are then recorded) exists.
    await invited(sessions, jid, "account-list-upload")
    answers = {"accounts": 40, "overlapping": overlapping}
    submission = StepSubmission(step_key="account-list-upload", answers=answers)
    await env.client.get_workflow_handle(jid).execute_update(PartnerJourneyWorkflow.complete_step, submission)


async def start(env: WorkflowEnvironment, sessions: SessionFactory) -> tuple:
    now = await env.get_current_time()
    names = ("Alpha Analytics", "Beta Builders")
    cohort = await create_cohort(sessions, [partner(n) for n in names], starts_at=now, playbook_id=GATED)
    crm = await seed_crm(sessions)
    alpha, beta = await partner_ids(sessions, cohort.id)
    await overlap(sessions, crm, alpha, "Northwind Components")
    return cohort, alpha, beta


class TestConditions:
    async def test_the_intro_step_runs_with_overlap_and_is_skipped_without(
        self, ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
    ) -> None:
        settings = settings_for(sqlite_sessions)
        cohort, alpha, beta = await start(ts_env, sqlite_sessions)
        async with running_worker(ts_env.client, settings, sqlite_sessions):
            for pid, overlapping in ((alpha, 1), (beta, 0)):
                await start_journey(ts_env.client, settings, cohort, pid)
                await upload(ts_env, sqlite_sessions, journey_id(cohort.id, pid), overlapping)
            # The query sees a step open before its invite is on the timeline: wait for the invites.
            alpha_events = await invited(sqlite_sessions, journey_id(cohort.id, alpha), "ae-intro-request")
            beta_events = await invited(sqlite_sessions, journey_id(cohort.id, beta), "account-list-refresh")
        assert not [e for e in beta_events if e.kind == "step_skipped"]  # true: asked to widen its list
        [skipped] = [e for e in alpha_events if e.kind == "step_skipped"]  # false: no refresh, introductions now
        assert skipped.step_key == "account-list-refresh"
        assert skipped.data["conditions"] == [CONDITION]
        assert skipped.data["facts"]["overlap"] == {"count": 1, "segments": ["Enterprise"]}
        assert skipped.data["facts"]["partner"]["type"] == "ISV"
        assert "step_waiting" not in [e.kind for e in alpha_events]  # it has overlap: the intro step opens at once
        assert "account-list-upload" in skipped.data["facts"]["answers"]
        assert [e.step_key for e in beta_events if e.kind == "step_invited"] == [
            "account-list-upload",
            "account-list-refresh",
        ]


async def invited(sessions: SessionFactory, jid: str, step_key: str) -> list[JourneyEvent]:
    async def timeline() -> list[JourneyEvent] | None:
        found = await events(sessions, jid)
        return found if ("step_invited", step_key) in [(e.kind, e.step_key) for e in found] else None

    return await eventually(timeline, what=f"{jid} invited to {step_key}")


@pytest.mark.skipif(not os.environ.get("COSELL_RECORD_HISTORIES"), reason="set COSELL_RECORD_HISTORIES=1 to re-record")
async def test_record_condition_history(ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory) -> None:
    """The activation stage of a partner without overlap (recorded with overlap-first-21d v2, whose intro step
    had `when: overlap.count > 0`): the condition is read, false, and the step skipped."""
    settings = settings_for(sqlite_sessions)
    cohort, _, beta = await start(ts_env, sqlite_sessions)
    jid = journey_id(cohort.id, beta)
    async with running_worker(ts_env.client, settings, sqlite_sessions):
        await start_journey(ts_env.client, settings, cohort, beta)
        await upload(ts_env, sqlite_sessions, jid, 0)

        async def activation_run() -> str | None:
            description = await ts_env.client.get_workflow_handle(jid).describe()
            return description.run_id if description.run_id != first else None

        first = (await ts_env.client.get_workflow_handle(jid).describe()).run_id
        run = await eventually(activation_run, what="the activation stage's run")
        await open_step(ts_env, jid, "account-list-refresh")
        save("journey-condition-skipped", await ts_env.client.get_workflow_handle(jid, run_id=run).fetch_history())
