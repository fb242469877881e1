"""Everything a step link page needs, read from the read model and the pinned playbook snapshot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from db.models import Cohort, Journey, JourneyStep, Partner
from db.repositories import journeys
from db.repositories import playbooks as playbook_repo
from domain.links import StepClaims
from playbooks.model import Play, Playbook, Step
from workflows.journey import PartnerJourneyWorkflow
from workflows.types import StepReceipt, StepSubmission

UPDATE_TIMEOUT = timedelta(seconds=15)


@dataclass
class StepPage:
    journey: Journey
    step_row: JourneyStep
    partner: Partner
    playbook: Playbook
    play: Play
    step: Step

    @property
    def state(self) -> str:
        if self.step_row.status == "completed":
            return "completed"
        if self.step_row.status == "overdue" or self.journey.status in ("completed", "exited"):
            return "closed"
        return "open"


async def load(session: AsyncSession, claims: StepClaims) -> StepPage | None:
    journey = await journeys.get_journey(session, claims.journey_id)
    step_row = await journeys.get_step(session, claims.journey_id, claims.step_key)
    if journey is None or step_row is None:
        return None
    cohort = await session.get(Cohort, journey.cohort_id)
    partner = await session.get(Partner, journey.partner_id)
    snapshot = await playbook_repo.get(session, cohort.playbook_id, cohort.playbook_version) if cohort else None
    if partner is None or snapshot is None:
        return None
    playbook = playbook_repo.to_model(snapshot)
    return StepPage(
        journey, step_row, partner, playbook, playbook.play_of(claims.step_key), playbook.step(claims.step_key)
    )


class SubmitOutcome:
    """What the journey said about a submission, as the page needs it."""

    def __init__(self, kind: str, receipt: StepReceipt | None = None, errors: dict[str, str] | None = None):
        self.kind, self.receipt, self.errors = kind, receipt, errors or {}


async def submit(client: Client, claims: StepClaims, answers: dict, submission_id: str) -> SubmitOutcome:
    handle = client.get_workflow_handle(claims.journey_id)
    try:
        receipt = await handle.execute_update(
            PartnerJourneyWorkflow.complete_step,
            StepSubmission(step_key=claims.step_key, answers=answers),
            # A double-clicked form reuses its id, so Temporal answers it once and replays the result.
            id=f"complete/{claims.step_key}/{submission_id}",
            rpc_timeout=UPDATE_TIMEOUT,
        )
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        if isinstance(cause, ApplicationError):
            if cause.type == "InvalidAnswers":
                details = cause.details[0] if cause.details else {}
                return SubmitOutcome("invalid", errors=dict(details))
            if cause.type == "AlreadyCompleted":
                return SubmitOutcome("already")
        return SubmitOutcome("closed")
    except WorkflowUpdateRPCTimeoutOrCancelledError:
        return SubmitOutcome("busy")
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return SubmitOutcome("closed")
        return SubmitOutcome("busy")
    return SubmitOutcome("completed", receipt=receipt)
