"""End to end: a PM subscribes a local receiver to every event of a program, a window runs one partner's
journey to its end, and the receiver gets each event of that journey once, in order, with valid signatures."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook
from temporalio.testing import WorkflowEnvironment

from api.cohorts import service
from db.models import JourneyEvent
from db.session import SessionFactory, transaction
from domain.webhook_events import TIMELINE_KINDS, EventType
from tests.api.helpers import api_client
from tests.factories import create_cohort, partner, settings_for
from tests.waiting import eventually
from tests.webhook_receiver import Receiver, receiver
from tests.workflows.helpers import partner_ids, running_worker
from tests.workflows.webhook_helpers import dispatch
from workflows.journey.messages import StepSubmission, journey_id
from workflows.journey.workflow import PartnerJourneyWorkflow

ICP = {"industry": "Healthcare", "company_size": "800", "trigger": "Exiting their data centre next year"}


async def subscribe_through_the_api(settings: object, env: WorkflowEnvironment, rec: Receiver) -> str:
    async with api_client(settings, env.client) as api:  # type: ignore[arg-type]
        [program] = (await api.get("/api/v1/programs")).json()
        created = await api.post(
            f"/api/v1/programs/{program['id']}/webhooks", json={"url": rec.url, "events": [e.value for e in EventType]}
        )
        assert created.status_code == 201, created.text
        return str(created.json()["secret"])


async def timeline_events(sessions: SessionFactory, jid: str) -> list[JourneyEvent]:
    async with transaction(sessions) as session:
        rows = await session.scalars(
            select(JourneyEvent)
            .where(JourneyEvent.journey_id == jid, JourneyEvent.kind.in_(TIMELINE_KINDS))
            .order_by(JourneyEvent.occurred_at, JourneyEvent.id)
        )
        return list(rows)


@pytest.mark.timeout(180)
async def test_a_local_receiver_gets_every_event_of_a_journey_in_order_once_signed(
    ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
) -> None:
    settings = settings_for(sqlite_sessions)
    cohort = await create_cohort(sqlite_sessions, [partner("Alpha", "ISV")], starts_at=await ts_env.get_current_time())
    [alpha] = await partner_ids(sqlite_sessions, cohort.id)
    jid = journey_id(cohort.id, alpha)
    async with receiver() as rec, running_worker(ts_env.client, settings, sqlite_sessions):
        secret = await subscribe_through_the_api(settings, ts_env, rec)
        await service.launch(ts_env.client, settings.task_queue, cohort)
        await ts_env.sleep(timedelta(hours=1))
        for key, answers in (("icp", ICP), ("rules", {"acknowledged": "yes"})):
            await ts_env.client.get_workflow_handle(jid).execute_update(
                PartnerJourneyWorkflow.complete_step, StepSubmission(step_key=key, answers=answers)
            )
            await ts_env.sleep(timedelta(hours=1))
        await ts_env.sleep(cohort.ends_at - await ts_env.get_current_time() + timedelta(days=1))  # the window ends
        recorded = await timeline_events(sqlite_sessions, jid)
        assert recorded[-1].kind == "journey_completed", [e.kind for e in recorded]

        async def all_arrived() -> list[dict]:
            await dispatch(ts_env, settings)
            bodies = [json.loads(r.body) for r in rec.seen]
            mine = [b for b in bodies if b["partner_id"] == alpha]
            windows = [b["type"] for b in bodies if b["partner_id"] is None]
            assert len(mine) >= len(recorded) and windows == ["window.launched", "window.closed"], bodies
            return mine

        mine = await eventually(all_arrived, what="every event of the journey delivered")
        assert await dispatch(ts_env, settings) == []  # nothing left to send
    assert [b["id"] for b in mine] == [e.id for e in recorded] and len(rec.seen) == len(mine) + 2  # once each
    assert [b["type"] for b in mine] == [TIMELINE_KINDS[e.kind].value for e in recorded]
    assert [b["sequence"] for b in mine] == list(range(1, len(recorded) + 1))
    assert {"journey.stage_entered", "journey.step_completed", "journey.exited"} <= {b["type"] for b in mine}
    assert all(b["data"]["journey_id"] == jid and b["version"] == 1 for b in mine)
    for request in rec.seen:
        Webhook(secret).verify(request.body, request.headers)
