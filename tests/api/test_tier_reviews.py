"""A PM starts a tier review now over the API; the program's Schedule runs the same period to no effect."""

from __future__ import annotations

from datetime import UTC, datetime

from temporalio.testing import WorkflowEnvironment

from db.session import SessionFactory
from domain.intel.review_period import period_of
from tests.api.helpers import api_client
from tests.deal_data import program_id
from tests.factories import cohort_body, partner, settings_for
from tests.waiting import eventually
from tests.workflows.helpers import running_worker
from tests.workflows.test_tier_review import state, three_partners
from workflows.tier_review.messages import tier_schedule_id


async def test_start_now_then_the_schedule_records_nothing_again(
    dev_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
) -> None:
    sessions, settings = sqlite_sessions, settings_for(sqlite_sessions)
    ids = await three_partners(sessions, datetime.now(UTC))
    program = await program_id(sessions)
    period = period_of("monthly", datetime.now(UTC))
    schedule = dev_env.client.get_schedule_handle(tier_schedule_id(program))
    try:
        async with running_worker(dev_env.client, settings, sessions), api_client(settings, dev_env.client) as client:
            assert (await client.post("/api/v1/programs/nope/tier-reviews")).status_code == 404
            bad = await client.post(f"/api/v1/programs/{program}/tier-reviews", json={"period": "2026-13"})
            assert bad.status_code == 422 and "period" in bad.text

            started = await client.post(f"/api/v1/programs/{program}/tier-reviews")
            assert started.status_code == 202, started.text
            assert started.json()["period"] == period

            async def done() -> dict:
                found = await client.get(f"/api/v1/programs/{program}/tier-reviews/{period}")
                assert found.status_code == 200 and found.json()["status"] == "done", found.text
                return found.json()

            review = await eventually(done, what="the triggered review finished", within=60)
            moved = {(m["partner_id"], m["previous_tier"], m["new_tier"]) for m in review["movements"]}
            assert moved == {(ids["steady"], 3, 2), (ids["thin"], 2, 3)} and review["partners"] == 3
            before = await state(sessions)

            # The schedule the trigger created, fired now: the same period, so nothing is recorded again.
            described = await schedule.describe()
            [next_run] = described.info.next_action_times[:1]
            assert (next_run.day, next_run.hour, next_run.minute) == (1, 6, 0)  # monthly, 06:00 UTC
            await schedule.trigger()

            async def scheduled_run_finished() -> bool:
                info = (await schedule.describe()).info
                assert info.recent_actions, "no scheduled run yet"
                action = info.recent_actions[-1].action
                await dev_env.client.get_workflow_handle(action.workflow_id).result()  # type: ignore[attr-defined]
                return True

            await eventually(scheduled_run_finished, what="the scheduled review ran", within=60)
            assert await state(sessions) == before

            weekly = await client.patch(f"/api/v1/programs/{program}", json={"tier_review_cadence": "weekly"})
            assert weekly.status_code == 200 and weekly.json()["tier_review_cadence"] == "weekly"
            [next_run] = (await schedule.describe()).info.next_action_times[:1]
            assert (next_run.weekday(), next_run.hour) == (0, 6)  # Mondays, 06:00 UTC
    finally:
        await schedule.delete()


async def test_a_new_programs_first_cohort_schedules_its_reviews(
    dev_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
) -> None:
    settings = settings_for(sqlite_sessions)
    async with api_client(settings, dev_env.client) as client:
        body = cohort_body([partner("Alpha Analytics")], program="Fresh program")
        created = await client.post("/api/v1/cohorts", json=body)
        assert created.status_code == 201, created.text
    program = await program_id(sqlite_sessions, "Fresh program")
    schedule = dev_env.client.get_schedule_handle(tier_schedule_id(program))
    try:
        [next_run] = (await schedule.describe()).info.next_action_times[:1]
        assert (next_run.day, next_run.hour) == (1, 6)
    finally:
        await schedule.delete()
        await dev_env.client.get_workflow_handle(created.json()["window_workflow_id"]).terminate("test over")
