"""`cosell replay-check`: the gate before a worker build is deployed.

Replays the saved histories (tests/workflows/histories: every workflow type, and the runs recorded before
each patch) and, with --running, histories of workflows open on the cluster, against this build's workflow
code. A failure means a journey in flight would fail its next workflow task on this build (a
NondeterminismError loops forever, it never finishes): do not deploy it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from temporalio.client import Client, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

SAVED_HISTORIES = Path("tests/workflows/histories")


@dataclass(frozen=True)
class Replayed:
    name: str  # the saved file's name, or the running workflow's id
    failure: str | None  # "NondeterminismError: ..." when this build cannot replay it


def saved(directory: Path) -> list[WorkflowHistory]:
    return [WorkflowHistory.from_json(path.stem, path.read_text()) for path in sorted(directory.glob("*.json"))]


async def _each(histories: Iterable[WorkflowHistory]) -> AsyncIterator[WorkflowHistory]:
    for history in histories:
        yield history


def running(client: Client, task_queue: str, limit: int) -> AsyncIterator[WorkflowHistory]:
    """The newest `limit` open workflows of the task queue, with their full histories."""
    query = f"TaskQueue = '{task_queue}' AND ExecutionStatus = 'Running'"
    return client.list_workflows(query, limit=limit).map_histories()


async def replay(
    workflows: Sequence[type], histories: Iterable[WorkflowHistory] | AsyncIterator[WorkflowHistory]
) -> list[Replayed]:
    """Every history's outcome; a workflow type this build does not register fails too."""
    source = histories if isinstance(histories, AsyncIterator) else _each(histories)
    replayer = Replayer(workflows=workflows, data_converter=pydantic_data_converter)
    outcomes = []
    async with replayer.workflow_replay_iterator(source) as results:
        async for result in results:
            error = result.replay_failure
            failure = None if error is None else f"{type(error).__name__}: {error}"
            outcomes.append(Replayed(result.history.workflow_id, failure))
    return outcomes
