"""PartnerJourneyWorkflow on the time-skipping server with the real activities and database."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from db.session import SessionFactory
from tests.factories import create_cohort, partner, settings_for
from tests.waiting import eventually
from tests.workflows.helpers import emails, events, partner_ids, running_worker, start_journey, steps
from workflows.journey.messages import JourneyProgress, StepSubmission, journey_id
from workflows.journey.workflow import PartnerJourneyWorkflow

GOOD_ICP = {"industry": "Healthcare", "company_size": "800", "trigger": "Exiting their data centre next year"}


async def setup(ts_env: WorkflowEnvironment, sessions: SessionFactory, *partners: dict) -> tuple:
    now = await ts_env.get_current_time()
    cohort = await create_cohort(sessions, list(partners) or [partner()], starts_at=now)
    return cohort, await partner_ids(sessions, cohort.id)


class TestStepCadence:
    async def test_silent_partner_gets_reminders_outside_quiet_hours_then_overdue_and_moves_on(
        self, ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
    ) -> None:
        settings = settings_for(sqlite_sessions)
        cohort, [pid] = await setup(ts_env, sqlite_sessions)
        jid = journey_id(cohort.id, pid)
        async with running_worker(ts_env.client, settings, sqlite_sessions):
            handle = await start_journey(ts_env.client, settings, cohort, pid)
            await ts_env.sleep(timedelta(days=3) + timedelta(hours=1))
            progress: JourneyProgress = await handle.query(PartnerJourneyWorkflow.progress)
        assert progress.overdue == ["icp"]
        assert progress.open_step is not None and progress.open_step.step_key == "rules"
        timeline = [(e.kind, e.step_key) for e in await events(sqlite_sessions, jid)]
        reminders = [e for e in await events(sqlite_sessions, jid) if e.kind == "step_reminded"]
        assert timeline[:2] == [("stage_entered", None), ("step_invited", "icp")]
        assert ("step_overdue", "icp") in timeline and timeline[-1] == ("step_invited", "rules")
        assert 1 <= len(reminders) <= 2  # cadence: every business day, at most two
        for reminder in reminders:
            local = reminder.occurred_at.astimezone(UTC)
            assert local.weekday() < 5 and 8 <= local.hour < 19, local
        sent = await emails(sqlite_sessions, jid)
        assert [m.kind for m in sent].count("step_reminder") == len(reminders)
        assert all(m.status == "sent" for m in sent)
        assert (await steps(sqlite_sessions, jid))["icp"].status == "overdue"


class TestCompletion:
    async def test_update_validator_rejects_before_anything_is_written(
        self, ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
    ) -> None:
        settings = settings_for(sqlite_sessions)
        cohort, [pid] = await setup(ts_env, sqlite_sessions)
        jid = journey_id(cohort.id, pid)
        async with running_worker(ts_env.client, settings, sqlite_sessions):
            handle = await start_journey(ts_env.client, settings, cohort, pid)
            await ts_env.sleep(timedelta(hours=1))
            before = len(await events(sqlite_sessions, jid))

            async def rejected(step: str, answers: dict) -> ApplicationError:
                with pytest.raises(WorkflowUpdateFailedError) as err:
                    await handle.execute_update(
                        PartnerJourneyWorkflow.complete_step, StepSubmission(step_key=step, answers=answers)
                    )
                assert isinstance(err.value.cause, ApplicationError)
                return err.value.cause

            assert (await rejected("rules", {"acknowledged": "yes"})).type == "StepNotOpen"
            assert (await rejected("no-such-step", {})).type == "StepNotOpen"
            invalid = await rejected("icp", {**GOOD_ICP, "company_size": "many"})
            assert invalid.type == "InvalidAnswers" and invalid.details[0] == {"company_size": "must be a number"}
            assert len(await events(sqlite_sessions, jid)) == before
            assert (await handle.query(PartnerJourneyWorkflow.progress)).completed == []

    async def test_completion_records_answers_scores_and_invites_the_next_step_once(
        self, ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
    ) -> None:
        settings = settings_for(sqlite_sessions)
        cohort, [pid] = await setup(ts_env, sqlite_sessions)
        jid = journey_id(cohort.id, pid)
        async with running_worker(ts_env.client, settings, sqlite_sessions):
            handle = await start_journey(ts_env.client, settings, cohort, pid)
            await ts_env.sleep(timedelta(hours=1))
            submission = StepSubmission(step_key="icp", answers={**GOOD_ICP, "company_size": "1,200"})
            receipt = await handle.execute_update(PartnerJourneyWorkflow.complete_step, submission, id="form-1")
            again = await handle.execute_update(PartnerJourneyWorkflow.complete_step, submission, id="form-1")
            with pytest.raises(WorkflowUpdateFailedError) as err:
                await handle.execute_update(PartnerJourneyWorkflow.complete_step, submission, id="form-2")
            assert isinstance(err.value.cause, ApplicationError) and err.value.cause.type == "AlreadyCompleted"
            await eventually(lambda: _invited(sqlite_sessions, jid, "rules"), what="the next step invited")
        assert receipt == again  # same update id: answered once, replayed
        assert receipt.readiness_score == 25 and receipt.next_step and receipt.next_step.step_key == "rules"
        row = (await steps(sqlite_sessions, jid))["icp"]
        assert row.status == "completed" and row.submission == {**GOOD_ICP, "company_size": 1200.0}
        completed = [e for e in await events(sqlite_sessions, jid) if e.kind == "step_completed"]
        assert len(completed) == 1 and completed[0].data["signals"] == {"icp_clarity": 25}
        assert [m.kind for m in await emails(sqlite_sessions, jid)] == ["step_invite", "step_invite"]


async def query_progress(ts_env: WorkflowEnvironment, workflow_id: str) -> JourneyProgress:
    """A query can land between continue-as-new and the new run's first task; ask again then."""

    async def answered() -> JourneyProgress:
        try:
            return await ts_env.client.get_workflow_handle(workflow_id).query(PartnerJourneyWorkflow.progress)
        except RPCError as exc:
            raise AssertionError(f"query refused: {exc}") from exc

    return await eventually(answered, what=f"{workflow_id} answers its progress query")


async def _invited(sessions: SessionFactory, jid: str, step: str) -> bool:
    return step in await steps(sessions, jid)


class TestWholeJourney:
    async def test_plays_follow_partner_type_and_state_survives_continue_as_new(
        self, ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
    ) -> None:
        settings = settings_for(sqlite_sessions)
        cohort, pids = await setup(ts_env, sqlite_sessions, partner("Alpha ISV", "ISV"), partner("Beta SI", "SI"))
        answers = {
            "icp": GOOD_ICP,
            "rules": {"acknowledged": "yes"},
            "target-account": {"account_name": "Contoso Health", "why_now": "Board approved a cloud move for 2027"},
            "listing": {"listing_url": "https://marketplace.example/alpha", "private_offers": ["Multi-year"]},
        }
        results = {}
        async with running_worker(ts_env.client, settings, sqlite_sessions):
            for pid in pids:
                handle = await start_journey(ts_env.client, settings, cohort, pid)
                done: list[str] = []
                while True:
                    await ts_env.sleep(timedelta(minutes=30))
                    progress = await query_progress(ts_env, handle.id)
                    if progress.status == "completed":
                        break
                    if progress.open_step and progress.open_step.step_key not in done:
                        key = progress.open_step.step_key
                        await ts_env.client.get_workflow_handle(handle.id).execute_update(
                            PartnerJourneyWorkflow.complete_step, StepSubmission(step_key=key, answers=answers[key])
                        )
                        done.append(key)
                results[pid] = await ts_env.client.get_workflow_handle_for(
                    PartnerJourneyWorkflow.run, handle.id
                ).result()
        alpha, beta = (results[pid] for pid in pids)
        assert alpha.completed == ["icp", "rules", "target-account", "listing"] and alpha.readiness_score == 80
        assert beta.completed == ["icp", "rules", "target-account"] and beta.readiness_score == 50
        stages = [
            e.stage for e in await events(sqlite_sessions, journey_id(cohort.id, pids[0])) if e.kind == "stage_entered"
        ]
        assert stages == ["awareness", "activation", "acceleration"]
