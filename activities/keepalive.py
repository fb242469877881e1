"""Every activity with a heartbeat timeout heartbeats while it runs, so a worker that died (SIGKILL, lost
host) is noticed within that timeout instead of the start-to-close timeout.

The start-to-close timeout bounds a live attempt and must allow the slowest legitimate run (an email send
waits up to the provider timeout, which may be set to two minutes); the heartbeat timeout only asks "is the
worker still there". A heartbeat comes from a task beside the activity, so an activity blocked in a
provider call or a database write still proves its worker alive. A retry that starts while the first
attempt in fact still runs is safe: sends go through the outbox claim, and writes are idempotent upserts.
"""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio import activity
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

BEATS_PER_TIMEOUT = 4  # the SDK sends at most one heartbeat per 0.8 x the timeout; the rest are coalesced


class KeepAlive(Interceptor):
    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _KeepAliveInbound(next)


class _KeepAliveInbound(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        timeout = activity.info().heartbeat_timeout
        if not timeout or not activity.in_activity() or not asyncio.iscoroutinefunction(input.fn):
            return await super().execute_activity(input)
        beating = asyncio.create_task(_beat(timeout.total_seconds() / BEATS_PER_TIMEOUT))
        try:
            return await super().execute_activity(input)
        finally:
            beating.cancel()


async def _beat(every: float) -> None:
    while True:
        activity.heartbeat()
        await asyncio.sleep(every)
