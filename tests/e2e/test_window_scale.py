"""A 1,200-partner window on the real dev server: every journey starts exactly once, through three shards
(two full, one partial). It was 2,000 partners; 1,200 crosses the same shard boundaries in half the time."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.journeys import JourneyActivities
from api.cohorts import service
from db.models import CohortMember, Partner
from db.session import SessionFactory, transaction
from mail.render import EmailRenderer
from mail.sender import OutboxOnlySender
from tests.factories import create_cohort, partner, settings_for
from tests.waiting import eventually
from tests.workflows.idle_journey import IdleJourney
from wiring import make_signer
from workflows.shard.messages import SHARD_SIZE
from workflows.shard.workflow import CohortShardWorkflow
from workflows.window.messages import WindowChange, window_id
from workflows.window.workflow import ActivationWindowWorkflow

pytestmark = pytest.mark.e2e
PARTNERS = 1_200


async def add_members(sessions: SessionFactory, cohort_id: str, count: int) -> None:
    async with transaction(sessions) as session:
        ids = [f"scale-{i:05d}" for i in range(count)]
        session.add_all(Partner(id=pid, name=f"Partner {pid}", type="SI") for pid in ids)
        await session.flush()
        session.add_all(CohortMember(cohort_id=cohort_id, partner_id=pid) for pid in ids)


# 1,200 journeys on the real dev server: minutes on a loaded 2-core machine, past the default 300 s.
@pytest.mark.timeout(900)
async def test_a_three_shard_window_starts_each_journey_exactly_once(
    dev_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
) -> None:
    settings = settings_for(sqlite_sessions)
    cohort = await create_cohort(sqlite_sessions, [partner("Seed partner")])
    await add_members(sqlite_sessions, cohort.id, PARTNERS - 1)
    acts = JourneyActivities(sqlite_sessions, OutboxOnlySender(), make_signer(settings), EmailRenderer(), settings)
    worker = Worker(
        dev_env.client,
        task_queue=settings.task_queue,
        workflows=[ActivationWindowWorkflow, CohortShardWorkflow, IdleJourney],
        activities=acts.all(),
        max_concurrent_workflow_tasks=100,
        activity_executor=ThreadPoolExecutor(4),
    )
    prefix = f"journey/{cohort.id}/"
    async with worker:
        await service.launch(dev_env.client, settings.task_queue, cohort)
        window = dev_env.client.get_workflow_handle(window_id(cohort.id))

        async def all_assigned() -> bool:
            return await window.query(ActivationWindowWorkflow.partners_assigned) == PARTNERS

        async def journeys_listed() -> list[str]:  # shards start them in the background; visibility lags too
            found = [
                w.id
                async for w in dev_env.client.list_workflows(
                    f"WorkflowType = 'PartnerJourneyWorkflow' AND WorkflowId STARTS_WITH '{prefix}'"
                )
            ]
            assert len(found) >= PARTNERS, f"{len(found)} journeys listed so far"
            return found

        # Generous deadlines, within the 900 s timeout: on a loaded 2-core machine the shards take minutes.
        await eventually(all_assigned, what=f"the window assigns {PARTNERS} partners", within=300, interval=0.2)
        ids = await eventually(journeys_listed, what=f"{PARTNERS} journeys listed", within=480, interval=0.5)
        shards = [
            w.id
            async for w in dev_env.client.list_workflows(
                f"WorkflowType = 'CohortShardWorkflow' AND WorkflowId STARTS_WITH 'window/{cohort.id}/'"
            )
        ]
        await window.signal(
            ActivationWindowWorkflow.change, WindowChange(key="close", exit_reason="test done", status="closed")
        )
        await window.result()
    assert len(ids) == PARTNERS and len(set(ids)) == PARTNERS  # every journey, once, one run each
    assert len(shards) == -(-PARTNERS // SHARD_SIZE)
