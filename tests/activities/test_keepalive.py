"""A worker heartbeats every activity that has a heartbeat timeout, so a killed worker's activity is retried
after that timeout while a live one, however long its provider call takes, is never cut short by it."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from temporalio import activity, workflow
from temporalio.client import WorkflowFailureError
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, TimeoutError, TimeoutType
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Interceptor, Worker

from activities.keepalive import KeepAlive

HEARTBEAT = timedelta(seconds=1)


@activity.defn
async def slow_provider_call() -> str:
    """Blocked for 2.5 heartbeat timeouts without heartbeating itself, as a send waiting on SendGrid is."""
    await asyncio.sleep(HEARTBEAT.total_seconds() * 2.5)
    return "sent"


@workflow.defn(sandboxed=False)
class OneSlowActivity:
    @workflow.run
    async def run(self) -> str:
        return await workflow.execute_activity(
            slow_provider_call,
            start_to_close_timeout=timedelta(seconds=30),
            heartbeat_timeout=HEARTBEAT,
            retry_policy=RetryPolicy(maximum_attempts=1),
        )


async def run_with(env: WorkflowEnvironment, interceptors: list[Interceptor]) -> str:
    queue = f"keepalive-{uuid.uuid4()}"
    worker = Worker(
        env.client,
        task_queue=queue,
        workflows=[OneSlowActivity],
        activities=[slow_provider_call],
        interceptors=interceptors,
    )
    async with worker:
        return await env.client.execute_workflow(OneSlowActivity.run, id=queue, task_queue=queue)


async def test_a_live_activity_outlasts_its_heartbeat_timeout(dev_env: WorkflowEnvironment) -> None:
    """About 5 s: the activity must run well past its 1 s heartbeat timeout (2.5 s), plus a worker's start and
    stop; the wait is real time, which the time-skipping server does not skip while an activity runs."""
    assert await run_with(dev_env, [KeepAlive()]) == "sent"


async def test_without_keepalive_the_same_activity_times_out(dev_env: WorkflowEnvironment) -> None:
    """The control: the heartbeat timeout is real, so the interceptor is what kept the activity alive."""
    with pytest.raises(WorkflowFailureError) as failed:
        await run_with(dev_env, [])
    cause = failed.value.cause
    assert isinstance(cause, ActivityError) and isinstance(cause.cause, TimeoutError), cause
    assert cause.cause.type == TimeoutType.HEARTBEAT
