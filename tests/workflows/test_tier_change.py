"""A tier change reaches a running journey: each stage is a new run that reloads the partner (an activity,
so the tier it read is in that run's history), so a tier a review records mid-stage decides which
tier-restricted plays the next stage runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from db.models import Cohort
from db.repositories import playbooks as repo
from db.repositories import tier_reviews
from db.repositories.tier_reviews import Judged
from db.session import SessionFactory, transaction
from domain.intel.review_period import review_id
from playbooks.loader import shipped_playbooks
from playbooks.model import Playbook
from tests.factories import create_cohort, partner, settings_for
from tests.waiting import eventually
from tests.workflows.helpers import events, partner_ids, running_worker, start_journey
from workflows.journey.messages import StepSubmission, journey_id
from workflows.journey.workflow import PartnerJourneyWorkflow

ICP = {"industry": "Healthcare", "company_size": "800", "trigger": "Exiting their data centre next year"}


def tiered_quickstart() -> Playbook:
    """Quickstart whose activation stage names one account for Baseline partners and runs a joint
    account plan for Tier 1 and 2 instead."""
    doc = {p.id: p for p in shipped_playbooks()}["quickstart-14d"].model_dump(mode="json")
    activation = doc["stages"][1]
    baseline = activation["plays"][0]
    baseline["applies_to"] = {**baseline.get("applies_to", {}), "tiers": [3]}
    invest = {**baseline, "key": "joint-account-plan", "title": "Plan an account together"}
    invest["applies_to"] = {**baseline["applies_to"], "tiers": [1, 2]}
    invest["steps"] = [{**baseline["steps"][0], "key": "joint-plan", "title": "Plan one account with our AE"}]
    activation["plays"] = [baseline, invest]
    return Playbook.model_validate({**doc, "id": "quickstart-tiered"})


async def review_moves(sessions: SessionFactory, partner_id: str, to: int) -> None:
    """What a tier review's page records for one partner (db/repositories/tier_reviews.record)."""
    async with transaction(sessions) as session:
        program_id = (await session.scalars(select(Cohort.program_id))).one()
        now = await session.scalar(select(Cohort.starts_at))
        assert now is not None
        rid = review_id(program_id, "2026-01")
        review = await tier_reviews.open_review(session, program_id, "2026-01", rid, now)
        judged = Judged(partner_id, 3, to, "promoted", 0, ("proven capability met",), {}, "default-v1")
        assert await tier_reviews.record(session, review, [judged]) == 1


@pytest.mark.timeout(120)
@pytest.mark.parametrize(("new_tier", "runs"), [(2, "joint-plan"), (None, "target-account")])
async def test_a_tier_change_mid_stage_decides_the_next_stages_plays(
    new_tier: int | None, runs: str, ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
) -> None:
    async with transaction(sqlite_sessions) as session:
        await repo.publish(session, tiered_quickstart())
    settings = settings_for(sqlite_sessions)
    now = await ts_env.get_current_time()
    cohort = await create_cohort(sqlite_sessions, [partner(tier=3)], starts_at=now, playbook_id="quickstart-tiered")
    [pid] = await partner_ids(sqlite_sessions, cohort.id)
    jid = journey_id(cohort.id, pid)
    async with running_worker(ts_env.client, settings, sqlite_sessions):
        handle = await start_journey(ts_env.client, settings, cohort, pid)
        await ts_env.sleep(timedelta(hours=1))
        await handle.execute_update(PartnerJourneyWorkflow.complete_step, StepSubmission(step_key="icp", answers=ICP))
        if new_tier is not None:  # while the awareness stage runs
            await review_moves(sqlite_sessions, pid, new_tier)
        await ts_env.sleep(timedelta(hours=1))
        rules = StepSubmission(step_key="rules", answers={"acknowledged": "yes"})
        await ts_env.client.get_workflow_handle(jid).execute_update(PartnerJourneyWorkflow.complete_step, rules)

        async def activation_step() -> str | None:
            progress = await ts_env.client.get_workflow_handle(jid).query(PartnerJourneyWorkflow.progress)
            return progress.open_step.step_key if progress.stage == "activation" and progress.open_step else None

        opened = await eventually(activation_step, what="the activation stage's first step")
    assert opened == runs
    timeline = [(e.kind, e.step_key) for e in await events(sqlite_sessions, jid)]
    assert (("tier_changed", None) in timeline) == (new_tier is not None)
