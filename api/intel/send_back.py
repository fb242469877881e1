"""A send-back reopens the step in the partner's running journey (the `send_back` Update), which emails the
partner a fresh link with the comment; this maps the journey's answer to what the PM is told."""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import Client, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.errors import Conflict, Unavailable
from workflows.journey.messages import SendBack, SendBackReceipt
from workflows.journey.workflow import PartnerJourneyWorkflow

UPDATE_TIMEOUT = timedelta(seconds=15)


async def reopen(client: Client, journey_id: str, req: SendBack) -> SendBackReceipt:
    """The Update id names the answer sent back, so a retried request reopens and emails nothing twice."""
    where = {"journey_id": journey_id, "step_id": req.step_key}
    handle = client.get_workflow_handle(journey_id)
    try:
        return await handle.execute_update(
            PartnerJourneyWorkflow.send_back, req, id=f"send-back/{req.tag}", rpc_timeout=UPDATE_TIMEOUT
        )
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        message = cause.message if isinstance(cause, ApplicationError) else "the journey refused the send-back"
        raise Conflict(message, where) from exc
    except WorkflowUpdateRPCTimeoutOrCancelledError as exc:
        raise Unavailable("the journey did not answer in time: send the same request again", where) from exc
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise Conflict("this journey is closed: nothing can be sent back", where) from exc
        raise Unavailable("the journey could not be reached: send the same request again", where) from exc
