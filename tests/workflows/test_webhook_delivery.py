"""Outbound webhook delivery on the time-skipping server, to a real local receiver: retries back off, a 410
stops (and a subscription that keeps failing is disabled and its owner emailed), a replay re-sends, and one
partner's events arrive in order, once each, with valid signatures."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from standardwebhooks.webhooks import Webhook
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from db.models import EmailOutbox
from db.session import SessionFactory, transaction
from db.webhook_models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from settings import Settings
from tests.api.helpers import api_client
from tests.factories import create_cohort, partner, settings_for
from tests.waiting import eventually
from tests.webhook_receiver import Receiver, receiver
from tests.workflows.helpers import running_worker
from tests.workflows.webhook_helpers import deliveries, dispatch, emit, emit_step, subscribe
from workflows.webhook_delivery.workflow import WebhookDispatchWorkflow


@pytest.mark.timeout(120)
async def test_retries_back_off_until_the_receiver_accepts(
    ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
) -> None:
    settings = settings_for(sqlite_sessions)
    await create_cohort(sqlite_sessions, [partner()])
    async with receiver([500, 503, 500]) as rec, running_worker(ts_env.client, settings, sqlite_sessions):
        sub = await subscribe(sqlite_sessions, rec.url)
        event_id = await emit_step(sqlite_sessions, sub, "p1", "icp")
        assert await dispatch(ts_env, settings) == [["200"]]
    [(delivery, attempts)] = await deliveries(sqlite_sessions, sub.id)
    assert (delivery.status, delivery.attempts) == ("delivered", 4)
    assert [a.status_code for a in attempts] == [500, 503, 500, 200]
    assert attempts[0].response_excerpt == "answered 500" and all(a.latency_ms >= 0 for a in attempts)
    gaps = [(b.attempted_at - a.attempted_at).total_seconds() for a, b in zip(attempts, attempts[1:], strict=False)]
    # 30 s, then doubling (the time-skipping server starts the first retry at once; a real one waits 30 s)
    assert gaps[0] < gaps[1] < gaps[2] and gaps[1] >= 30 and gaps[2] >= 1.9 * gaps[1], gaps
    assert len(rec.seen) == 4 and {r.headers["webhook-id"] for r in rec.seen} == {event_id}


@pytest.mark.timeout(120)
async def test_a_410_stops_and_a_subscription_that_keeps_failing_is_disabled_and_its_owner_told(
    ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
) -> None:
    settings = settings_for(sqlite_sessions, outbound_webhook_disable_after=2)
    await create_cohort(sqlite_sessions, [partner()])
    async with receiver([410, 404]) as rec, running_worker(ts_env.client, settings, sqlite_sessions):
        sub = await subscribe(sqlite_sessions, rec.url, owner_email="ops@vendor.example")
        await emit_step(sqlite_sessions, sub, "p1", "icp")
        [[first]] = await dispatch(ts_env, settings)
        assert first.startswith("failed: the receiver answered 410"), first
        await emit_step(sqlite_sessions, sub, "p1", "rules")
        [[second]] = await dispatch(ts_env, settings)
        assert second.startswith("failed: the receiver answered 404"), second
        assert not await emit(sqlite_sessions, sub, "p2", "icp")  # disabled: nothing more is recorded for it
    assert len(rec.seen) == 2
    assert [len(attempts) for _, attempts in await deliveries(sqlite_sessions, sub.id)] == [1, 1]  # never retried
    async with transaction(sqlite_sessions) as session:
        stored = await session.get(WebhookSubscription, sub.id)
        assert stored is not None and not stored.enabled and "2 deliveries in a row failed" in stored.disabled_reason
        told = list(await session.scalars(select(EmailOutbox).where(EmailOutbox.to_email == "ops@vendor.example")))
    assert [m.subject for m in told] == ["Test program: a webhook subscription was disabled"]


@pytest.mark.timeout(120)
async def test_a_replay_resends_the_same_event_freshly_signed(
    ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
) -> None:
    settings = settings_for(sqlite_sessions)
    await create_cohort(sqlite_sessions, [partner()])
    async with receiver() as rec, running_worker(ts_env.client, settings, sqlite_sessions):
        sub = await subscribe(sqlite_sessions, rec.url)
        await emit_step(sqlite_sessions, sub, "p1", "icp")
        assert await dispatch(ts_env, settings) == [["200"]]
        [(delivery, _)] = await deliveries(sqlite_sessions, sub.id)
        base = f"/api/v1/programs/{sub.program_id}/webhooks/{sub.id}/deliveries"
        async with api_client(settings, ts_env.client) as api:
            replayed = await api.post(f"{base}/{delivery.id}/replay")
            assert replayed.status_code == 202 and replayed.json()["status"] == "pending", replayed.text
            again = await api.post(f"{base}/{delivery.id}/replay")
            assert again.status_code == 409  # already waiting to be sent
            assert (await api.post(f"{base}/nope/replay")).status_code == 404
            assert await dispatch(ts_env, settings) == [["200"]]
            listed = (await api.get(base)).json()
    assert [r.headers["webhook-id"] for r in rec.seen] == [delivery.event_id] * 2 and rec.seen[0].body == rec.seen[
        1
    ].body
    for request in rec.seen:
        Webhook(sub.secret).verify(request.body, request.headers)
    assert [(d["status"], d["replays"], len(d["log"])) for d in listed] == [("delivered", 1, 2)]


@pytest.mark.timeout(120)
async def test_one_partners_events_arrive_in_order_once_each(
    ts_env: WorkflowEnvironment, sessions: SessionFactory
) -> None:
    settings = settings_for(sessions)
    await create_cohort(sessions, [partner()])
    steps = ["icp", "rules", "deal", "plan", "review"]
    async with receiver([503]) as rec, running_worker(ts_env.client, settings, sessions):
        sub = await subscribe(sessions, rec.url)
        ids = [await emit_step(sessions, sub, "p1", s) for s in steps]
        assert not await emit(sessions, sub, "p1", steps[0])  # the same fact again: recorded once
        await dispatch(ts_env, settings)
        assert await dispatch(ts_env, settings) == []  # nothing left: nothing sent twice
    bodies = [json.loads(r.body) for r in rec.seen]
    assert [b["id"] for b in bodies] == [ids[0], *ids]  # the first was retried after the 503, in place
    assert [b["sequence"] for b in bodies[1:]] == [1, 2, 3, 4, 5]


async def _terminate_while_backing_off(env: WorkflowEnvironment, settings: Settings, rec: Receiver) -> None:
    """One dispatch whose delivery the receiver answers 503; its workflow is terminated during the backoff."""
    [wid] = await env.client.execute_workflow(
        WebhookDispatchWorkflow.run, id=f"dispatch-{uuid.uuid4()}", task_queue=settings.task_queue
    )

    async def answered_503() -> bool:
        assert [r.status for r in rec.seen] == [503]
        return True

    await eventually(answered_503, what="the receiver answered the first attempt 503")
    handle = env.client.get_workflow_handle(wid)
    await handle.terminate(reason="stuck, by hand")
    assert (await handle.describe()).status == WorkflowExecutionStatus.TERMINATED


@pytest.mark.timeout(120)
async def test_a_terminated_delivery_workflow_does_not_block_the_partners_later_events(
    ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
) -> None:
    """Terminated while it backs off from a 503: the next dispatch starts a fresh run under the same id, which
    sends the undelivered event first and then the new one."""
    settings = settings_for(sqlite_sessions)
    await create_cohort(sqlite_sessions, [partner()])
    async with receiver([503]) as rec, running_worker(ts_env.client, settings, sqlite_sessions):
        sub = await subscribe(sqlite_sessions, rec.url)
        first = await emit_step(sqlite_sessions, sub, "p1", "icp")
        await _terminate_while_backing_off(ts_env, settings, rec)
        second = await emit_step(sqlite_sessions, sub, "p1", "rules")
        assert await dispatch(ts_env, settings) == [["200", "200"]]
    assert [r.headers["webhook-id"] for r in rec.seen] == [first, first, second]
    assert sorted((d.event_id, d.status, len(a)) for d, a in await deliveries(sqlite_sessions, sub.id)) == [
        (first, "delivered", 2),
        (second, "delivered", 1),
    ]


@pytest.mark.timeout(120)
async def test_a_terminated_delivery_workflows_stranded_delivery_is_sent_once_it_has_waited_too_long(
    ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
) -> None:
    """With no later event: a queued delivery nobody attempted for longer than a running workflow ever waits
    (its rows are set back three hours) gets a fresh run; one attempted recently is left to its workflow."""
    settings = settings_for(sqlite_sessions)
    await create_cohort(sqlite_sessions, [partner()])
    async with receiver([503]) as rec, running_worker(ts_env.client, settings, sqlite_sessions):
        sub = await subscribe(sqlite_sessions, rec.url)
        first = await emit_step(sqlite_sessions, sub, "p1", "icp")
        await _terminate_while_backing_off(ts_env, settings, rec)
        assert await dispatch(ts_env, settings) == []  # attempted a moment ago: not stale yet
        async with transaction(sqlite_sessions) as session:
            back = timedelta(hours=3)
            await session.execute(update(WebhookDelivery).values(created_at=datetime.now(UTC) - back))
            await session.execute(update(WebhookAttempt).values(attempted_at=datetime.now(UTC) - back))
        assert await dispatch(ts_env, settings) == [["200"]]
    assert [r.headers["webhook-id"] for r in rec.seen] == [first, first]
