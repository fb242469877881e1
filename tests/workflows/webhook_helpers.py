"""Outbound webhook test data: a subscription made the way the API makes it, events emitted through the one
function the activities use, and a dispatch run to completion."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from db.models import Program
from db.repositories import webhooks
from db.session import SessionFactory, transaction
from db.webhook_models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from domain.webhook_events import EventType
from domain.webhook_signing import new_secret
from settings import Settings
from tests.waiting import eventually
from workflows.webhook_delivery.workflow import WebhookDispatchWorkflow


async def subscribe(
    sessions: SessionFactory, url: str, events: list[EventType] | None = None, **extra: object
) -> WebhookSubscription:
    async with transaction(sessions) as session:
        program = await session.scalar(select(Program).limit(1))
        assert program is not None
        sub = WebhookSubscription(
            id=str(uuid.uuid4()),
            program_id=program.id,
            url=url,
            events=[e.value for e in (events or list(EventType))],
            secret=new_secret(),
            **extra,
        )
        session.add(sub)
    return sub


async def emit(sessions: SessionFactory, sub: WebhookSubscription, partner_id: str, step: str) -> bool:
    """A `journey.step_completed` of this partner through `webhooks.emit`; True when it was recorded."""
    data = dict(
        journey_id="j",
        cohort_id="c",
        partner_id=partner_id,
        stage="awareness",
        step_key=step,
        kind="step_completed",
        details={"play": "fit", "answers": {}},
    )
    async with transaction(sessions) as session:
        return await webhooks.emit(
            session,
            event_id(partner_id, step),
            sub.program_id,
            partner_id,
            EventType.step_completed,
            datetime.now(UTC),
            data,
        )


def event_id(partner_id: str, step: str) -> str:
    return f"test/{partner_id}/{step}"


async def emit_step(sessions: SessionFactory, sub: WebhookSubscription, partner_id: str, step: str) -> str:
    assert await emit(sessions, sub, partner_id, step)
    return event_id(partner_id, step)


async def dispatch(env: WorkflowEnvironment, settings: Settings, dispatch_id: str = "") -> list[list[str]]:
    """One dispatch and every delivery workflow it started, to the end; their outcomes. The test server
    would not follow a child's result from here, so time is skipped in small steps until each has closed."""
    started = await env.client.execute_workflow(
        WebhookDispatchWorkflow.run, id=dispatch_id or f"dispatch-{uuid.uuid4()}", task_queue=settings.task_queue
    )
    handles = [env.client.get_workflow_handle(wid) for wid in started]

    async def closed() -> bool:
        for handle in handles:
            described = await handle.describe()
            if described.status == WorkflowExecutionStatus.RUNNING:
                backoffs = [a for a in described.raw_description.pending_activities if a.attempt > 1]
                if backoffs:  # waiting out a retry's backoff: skip to the retry
                    await env.sleep(timedelta(seconds=10))  # (the test server fills no next-attempt time)
                return False
        return True

    await eventually(closed, what=f"delivery workflows {started} closed", interval=0.05)
    return [await _outcome(handle) for handle in handles]


async def _outcome(handle: WorkflowHandle) -> list[str]:
    async for event in handle.fetch_history_events():
        if event.HasField("workflow_execution_completed_event_attributes"):
            [payload] = event.workflow_execution_completed_event_attributes.result.payloads
            return list(json.loads(payload.data))
    raise AssertionError(f"{handle.id} did not complete")


async def deliveries(sessions: SessionFactory, sub_id: str) -> list[tuple[WebhookDelivery, list[WebhookAttempt]]]:
    async with transaction(sessions) as session:
        rows = list(await session.scalars(select(WebhookDelivery).where(WebhookDelivery.subscription_id == sub_id)))
        attempts = list(await session.scalars(select(WebhookAttempt).order_by(WebhookAttempt.id)))
    return [(d, [a for a in attempts if a.delivery_id == d.id]) for d in rows]
