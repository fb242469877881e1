"""What a failed or stalled Temporal test left pending: its open workflows and their pending work.

A stall on the time-skipping server shows up as a test that waits forever; the only useful clue is what
the server still holds (an activity SCHEDULED that no worker took, a workflow task never completed).
The time-skipping server cannot list workflows, so the client records every workflow it starts, and
the report walks from those to their children.
"""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio.api.enums.v1 import PendingActivityState, PendingWorkflowTaskState, WorkflowExecutionStatus
from temporalio.client import Client, Interceptor, OutboundInterceptor, StartWorkflowInput, WorkflowHandle
from temporalio.service import RPCError

REPORT_SECONDS = 20  # a stalled server may not answer describe() either


class StartedWorkflows(Interceptor):
    """Remembers (workflow id, task queue) for every workflow this client starts."""

    def __init__(self) -> None:
        self.started: list[tuple[str, str]] = []

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        return _Recording(next, self.started)


class _Recording(OutboundInterceptor):
    def __init__(self, next: OutboundInterceptor, started: list[tuple[str, str]]) -> None:
        super().__init__(next)
        self._started = started

    async def start_workflow(self, input: StartWorkflowInput) -> WorkflowHandle[Any, Any]:
        self._started.append((input.id, input.task_queue))
        return await super().start_workflow(input)


def _started_on(client: Client, task_queue: str) -> list[str]:
    recorders = [i for i in client.config()["interceptors"] if isinstance(i, StartedWorkflows)]
    return list(dict.fromkeys(wid for r in recorders for wid, queue in r.started if queue == task_queue))


async def _listed_on(client: Client, task_queue: str) -> list[str]:
    """Workflows started some other way (an activity's own client); only a real server can list them."""
    try:
        query = f"TaskQueue = '{task_queue}' AND ExecutionStatus = 'Running'"
        return [wf.id async for wf in client.list_workflows(query)]
    except RPCError:
        return []


async def _describe(client: Client, workflow_id: str) -> tuple[list[str], list[str]]:
    """Lines about one workflow if it is still open, and the ids of its pending children."""
    raw = (await client.get_workflow_handle(workflow_id).describe()).raw_description
    info = raw.workflow_execution_info
    if info.status != WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING:
        return [], []
    lines = [f"{workflow_id} ({info.type.name}) open, history length {info.history_length}"]
    if raw.HasField("pending_workflow_task"):
        task = raw.pending_workflow_task
        state = PendingWorkflowTaskState.Name(task.state)
        lines.append(f"  workflow task {state}, attempt {task.attempt}, scheduled {task.scheduled_time.ToJsonString()}")
    for act in raw.pending_activities:
        failure = f", last failure: {act.last_failure.message}" if act.HasField("last_failure") else ""
        lines.append(
            f"  activity {act.activity_type.name} #{act.activity_id} {PendingActivityState.Name(act.state)}, "
            f"attempt {act.attempt}, worker {act.last_worker_identity or '-'}{failure}"
        )
    children = [child.workflow_id for child in raw.pending_children]
    lines += [f"  child {child}" for child in children]
    return lines, children


async def pending_report(client: Client, task_queue: str) -> str:
    """Every open workflow this test started on `task_queue` (and their children), with what each waits on."""
    lines: list[str] = []
    try:
        async with asyncio.timeout(REPORT_SECONDS):
            todo = list(dict.fromkeys(_started_on(client, task_queue) + await _listed_on(client, task_queue)))
            seen: set[str] = set()
            while todo:
                workflow_id = todo.pop(0)
                if workflow_id in seen:
                    continue
                seen.add(workflow_id)
                try:
                    about, children = await _describe(client, workflow_id)
                except RPCError as exc:
                    about, children = [f"{workflow_id}: describe failed: {exc}"], []
                lines += about
                todo += children
    except TimeoutError:
        lines.append(f"(the server did not answer within {REPORT_SECONDS}s)")
    return "\n".join(lines) or "(no open workflows)"
