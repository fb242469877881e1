"""A link page's form POST becomes a workflow Update; this maps Temporal's answer to what the page says.

One mapping for every form (partner steps, AE intro answers, AE feedback), so "busy", "closed" and
"already done" mean the same everywhere: a validator's rejection is a truthful answer, a timeout asks
the person to try again, and a workflow that no longer exists means the form is closed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Generic, Literal, TypeVar

from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

UPDATE_TIMEOUT = timedelta(seconds=15)
# The validators' ApplicationError types that mean "this was already done", not "this is closed".
ALREADY_DONE = ("AlreadyCompleted", "AlreadyAnswered")

R = TypeVar("R")


@dataclass
class UpdateOutcome(Generic[R]):
    kind: Literal["done", "invalid", "already", "closed", "busy"]
    result: R | None = None
    errors: dict[str, str] = field(default_factory=dict)


async def submit_update(
    handle: WorkflowHandle[Any, Any], update: Any, arg: Any, *, update_id: str
) -> UpdateOutcome[Any]:
    """`update_id` comes from the form, so a double-clicked submission is answered once and replayed."""
    try:
        result = await handle.execute_update(update, arg, id=update_id, rpc_timeout=UPDATE_TIMEOUT)
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        if isinstance(cause, ApplicationError):
            if cause.type == "InvalidAnswers":
                return UpdateOutcome("invalid", errors=dict(cause.details[0]) if cause.details else {})
            if cause.type in ALREADY_DONE:
                return UpdateOutcome("already")
        return UpdateOutcome("closed")
    except WorkflowUpdateRPCTimeoutOrCancelledError:
        return UpdateOutcome("busy")
    except RPCError as exc:
        return UpdateOutcome("closed" if exc.status == RPCStatusCode.NOT_FOUND else "busy")
    return UpdateOutcome("done", result=result)
