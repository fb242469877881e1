"""A running journey keeps its snapshot; a PM migration takes effect at the next stage boundary."""

from __future__ import annotations

from datetime import timedelta

from temporalio.testing import WorkflowEnvironment

from db.models import Journey
from db.repositories import playbooks as repo
from db.session import SessionFactory, transaction
from playbooks.loader import reference, shipped_playbooks
from tests.factories import create_cohort, partner, settings_for
from tests.waiting import eventually
from tests.workflows.helpers import events, partner_ids, running_worker, start_journey
from workflows.journey.messages import StepSubmission, journey_id
from workflows.journey.workflow import PartnerJourneyWorkflow
from workflows.window.messages import WindowChange

V1 = {p.id: p for p in shipped_playbooks()}["quickstart-14d"]
ICP = {"industry": "Healthcare", "company_size": "800", "trigger": "Exiting their data centre next year"}


def version_two():  # type: ignore[no-untyped-def]
    data = V1.model_dump(mode="json")
    data["version"] = 2
    data["stages"][0]["plays"][0]["steps"][0]["title"] = "Describe your ideal customer (v2 wording)"
    new_step = {**data["stages"][1]["plays"][0]["steps"][0], "key": "second-account", "title": "Name a second account"}
    data["stages"][1]["plays"][0]["steps"].append(new_step)
    return V1.model_validate(data)


class TestPlaybookMigration:
    async def test_new_version_applies_from_the_next_stage_only(
        self, ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
    ) -> None:
        v2 = version_two()
        async with transaction(sqlite_sessions) as session:
            await repo.publish(session, v2)
        settings = settings_for(sqlite_sessions)
        now = await ts_env.get_current_time()
        cohort = await create_cohort(sqlite_sessions, [partner()], starts_at=now, playbook_version=1)
        [pid] = await partner_ids(sqlite_sessions, cohort.id)
        jid = journey_id(cohort.id, pid)
        async with running_worker(ts_env.client, settings, sqlite_sessions):
            await start_journey(ts_env.client, settings, cohort, pid)
            await ts_env.sleep(timedelta(hours=1))
            handle = ts_env.client.get_workflow_handle(jid)
            await handle.signal(PartnerJourneyWorkflow.window_changed, WindowChange(key="m1", playbook=reference(v2)))
            await handle.execute_update(
                PartnerJourneyWorkflow.complete_step, StepSubmission(step_key="icp", answers=ICP)
            )
            await ts_env.sleep(timedelta(hours=1))
            await handle.execute_update(
                PartnerJourneyWorkflow.complete_step, StepSubmission(step_key="rules", answers={"acknowledged": "yes"})
            )
            await ts_env.sleep(timedelta(hours=1))
            await handle.execute_update(
                PartnerJourneyWorkflow.complete_step,
                StepSubmission(
                    step_key="target-account",
                    answers={"account_name": "Contoso", "why_now": "A cloud move approved for 2027"},
                ),
            )
            await ts_env.sleep(timedelta(hours=1))
            progress = await handle.query(PartnerJourneyWorkflow.progress)

            async def second_invited() -> bool:  # the invite activity may still be running
                return "second-account" in {e.step_key for e in await events(sqlite_sessions, jid)}

            await eventually(second_invited, what="second-account invited")
            run_input = (await handle.fetch_history()).events[0].workflow_execution_started_event_attributes.input
        assert progress.open_step is not None and progress.open_step.step_key == "second-account"
        assert progress.completed == ["icp", "rules", "target-account"]  # carried across the version change
        assert b'"version":2' in run_input.payloads[0].data
        async with transaction(sqlite_sessions) as session:
            row = await session.get(Journey, jid)
            assert row is not None and row.playbook_version == 2  # pages and progress read v2 for this partner
        invited = [e.step_key for e in await events(sqlite_sessions, jid) if e.kind == "step_invited"]
        assert invited == ["icp", "rules", "target-account", "second-account"]
