"""The one wait every workflow here needs: a condition or a moment, whichever comes first."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta

from temporalio import workflow


async def until_or(condition: Callable[[], bool], until: datetime, summary: str) -> None:
    """A timeout is not an error; the timer never goes below a second (a moment already past still yields)."""
    with contextlib.suppress(TimeoutError):
        await workflow.wait_condition(
            condition, timeout=max(until - workflow.now(), timedelta(seconds=1)), timeout_summary=summary
        )
