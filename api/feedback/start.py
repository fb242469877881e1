"""Ask a closed deal's AE for feedback: one AeFeedbackWorkflow per (deal, AE), ever."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from settings import Settings
from workflows.ae_feedback.messages import FeedbackInput, feedback_workflow_id
from workflows.ae_feedback.workflow import AeFeedbackWorkflow


async def request_feedback(client: Client, settings: Settings, deal_id: str, ae_id: str, partner_id: str) -> bool:
    """True when this call started the request; False when one exists already (running or closed), so a
    second close event, a re-import or a retried API call never asks the AE twice."""
    try:
        await client.start_workflow(
            AeFeedbackWorkflow.run,
            FeedbackInput(deal_id=deal_id, ae_id=ae_id, partner_id=partner_id),
            id=feedback_workflow_id(deal_id, ae_id),
            task_queue=settings.task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
        )
    except WorkflowAlreadyStartedError:
        return False
    return True


async def already_requested(client: Client, deal_id: str, ae_id: str) -> bool:
    """Whether the (deal, AE) request exists, asked before the transaction commits so the answer can say
    whether this call asks the AE; the start itself waits for the commit."""
    try:
        await client.get_workflow_handle(feedback_workflow_id(deal_id, ae_id)).describe()
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return False
        raise
    return True
