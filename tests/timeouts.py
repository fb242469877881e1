"""pytest-timeout for asyncio tests: a stalled test fails on its own, says where it was, and the run goes on.

pytest-timeout's `signal` method raises from SIGALRM in whatever the main thread runs. For an async
test that is the event loop's select(): the test's task is abandoned, still pending, on the
session-wide loop, and keeps running into the next tests (its stack dump only shows the selector).
The `thread` method dumps and kills the whole run. So for a test running on the loop this alarm
prints every task's stack and cancels the task the loop is driving: the test unwinds through its
`async with` blocks and fixtures (a worker's exit and `running_worker` print what Temporal still had
pending), fails with the timeout as its cause, and the next test starts clean. If it has not unwound
after GRACE_SECONDS, pytest-timeout's own handler fails it the hard way. Sync code gets that handler
straight away.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from typing import Any

import pytest

GRACE_SECONDS = 60


def _driven_task(loop: asyncio.AbstractEventLoop) -> asyncio.Task[Any] | None:
    """The task `run_until_complete` waits on: the test body or the fixture step pytest-asyncio runs."""
    for task in asyncio.all_tasks(loop):
        callbacks = getattr(task, "_callbacks", None) or []
        if any(getattr(cb, "__name__", "") == "_run_until_complete_cb" for cb, _ in callbacks):
            return task
    return None


def _dump_tasks(item: pytest.Item, loop: asyncio.AbstractEventLoop, timeout: float) -> None:
    terminal = item.config.get_terminal_writer()
    terminal.sep("+", title=f"Timeout (>{timeout:g}s): {item.nodeid}; asyncio tasks")
    capman = item.config.pluginmanager.getplugin("capturemanager")
    with capman.global_and_fixture_disabled() if capman else contextlib.nullcontext():
        for task in asyncio.all_tasks(loop):
            task.print_stack(limit=12)
    terminal.sep("+", title="Timeout")


# optionalhook: a checkout whose venv predates the pytest-timeout pin still runs (without deadlines).
@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_timeout_set_timer(item: pytest.Item, settings: Any) -> bool | None:
    if settings.method != "signal" or threading.current_thread() is not threading.main_thread():
        return None  # pytest-timeout's own implementation
    from pytest_timeout import timeout_sigalrm  # only called by that plugin, so it is installed

    def hard_stop(signum: int, frame: object) -> None:
        __tracebackhide__ = True
        timeout_sigalrm(item, settings)

    def on_timeout(signum: int, frame: object) -> None:
        __tracebackhide__ = True
        loop = asyncio._get_running_loop()
        task = _driven_task(loop) if loop is not None else None
        if loop is None or task is None:
            timeout_sigalrm(item, settings)
            return
        _dump_tasks(item, loop, settings.timeout)
        # Thread-safe scheduling writes to the loop's self-pipe: the loop is asleep in select(), and a
        # plain cancel() would wait for whatever woke it next.
        loop.call_soon_threadsafe(task.cancel, f"Timeout (>{settings.timeout:g}s) from pytest-timeout")
        signal.signal(signal.SIGALRM, hard_stop)
        signal.setitimer(signal.ITIMER_REAL, GRACE_SECONDS)

    def cancel() -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)

    item.cancel_timeout = cancel  # type: ignore[attr-defined]  # what pytest_timeout_cancel_timer calls
    signal.signal(signal.SIGALRM, on_timeout)
    signal.setitimer(signal.ITIMER_REAL, settings.timeout)
    return True
