"""AeFeedbackWorkflow's id, input, update (the AE's answers and their receipt) and query."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

FeedbackStatus = Literal["waiting", "answered", "expired", "not_asked"]


def feedback_workflow_id(deal_id: str, ae_id: str) -> str:
    return f"feedback/{deal_id}/{ae_id}"


class FeedbackInput(BaseModel):
    """One closed co-sell deal, one AE. The program (cadence, expiry) is read from the deal when absent."""

    version: int = 1
    deal_id: str
    ae_id: str
    partner_id: str
    program_id: str | None = None
    timezone: str = "UTC"  # AEs are vendor staff: reminders count business days in this zone


class FeedbackAnswers(BaseModel):
    """The form as submitted. Deliberately unconstrained: the update validator checks it and says what
    is wrong (domain.trust.feedback_errors), instead of a payload conversion failing without a reason."""

    contribution: str
    role_clarity: int
    responsiveness: int
    invite_again: bool
    comment: str = ""


class FeedbackReceipt(BaseModel):
    deal_id: str
    ae_id: str
    revision: int
    submitted_at: datetime
    trust_score: int | None
    running_journeys: list[str] = Field(default_factory=list)


class FeedbackState(BaseModel):
    status: FeedbackStatus
    reason: str = ""
    expires_at: datetime | None = None
    reminders_sent: list[datetime] = Field(default_factory=list)
    revisions: int = 0
