"""The one wait every workflow here needs: a condition or a moment, whichever comes first."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta

from temporalio import workflow

# Timers are never cancelled on the patched path. Temporal's time-skipping test server (the dry run and
# the tests) refuses a workflow task completion that cancels a timer which fired while that task ran
# ("invalid history builder state for action", temporalio/sdk-java#2606 and #3088), and the run then
# never gets another task: every later Update or query hangs. A loaded machine makes that window wide.
# A timer left running costs one TimerFired when its moment comes; waits for the same moment share one.
UNCANCELLED_TIMERS = "uncancelled-timers"
_TIMERS = "_cosell_timers"
MIN_DELAY = timedelta(seconds=1)


async def until_or(condition: Callable[[], bool], until: datetime, summary: str) -> None:
    """A timeout is not an error; the timer never goes below a second (a moment already past still yields)."""
    if not workflow.patched(UNCANCELLED_TIMERS):
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(
                condition, timeout=max(until - workflow.now(), MIN_DELAY), timeout_summary=summary
            )
        return
    timer = _timer_until(until, summary)
    await workflow.wait_condition(lambda: condition() or timer.done())


def _timer_until(until: datetime, summary: str) -> asyncio.Task[None]:
    """One timer per moment per run, kept on the workflow instance (the only per-run state a free function has)."""
    timers: dict[datetime, asyncio.Task[None]] = vars(workflow.instance()).setdefault(_TIMERS, {})
    for moment in [m for m, t in timers.items() if t.done()]:
        del timers[moment]
    if until not in timers:
        delay = max(until - workflow.now(), MIN_DELAY)
        timers[until] = asyncio.ensure_future(workflow.sleep(delay, summary=summary))
    return timers[until]
