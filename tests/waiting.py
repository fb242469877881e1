"""Waiting on something asynchronous: poll it until it holds or a deadline passes.

A signal, update, workflow start, activity or background task has its effect some time later, and how
much later depends on how busy the machine is. Asserting once right after the action is a race; this
waits for the condition instead, and when the deadline passes it fails saying what it last saw.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

# Generous on purpose: a deadline only costs time when the test is failing anyway, and a loaded
# 2-core CI machine can take seconds to run one activity. Well under the per-test timeout.
DEFAULT_WITHIN = 60.0


async def eventually(
    probe: Callable[[], Awaitable[T]], *, what: str, within: float = DEFAULT_WITHIN, interval: float = 0.05
) -> T:
    """Await `probe()` until it returns something truthy, and return that.

    A probe may also assert: an AssertionError counts as "not yet", and the last one is reported if the
    deadline passes, so a check written as assertions keeps its exact strictness."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        try:
            seen: object = await probe()
            if seen:
                return seen  # type: ignore[return-value]
        except AssertionError as exc:
            seen = exc
        if loop.time() >= deadline:
            raise AssertionError(f"{what}: still not true after {within:g}s; last seen: {seen!r}")
        await asyncio.sleep(interval)
