"""Inputs and results of the FeedbackActivities (activities/feedback.py): what workflows hand them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from workflows.ae_feedback.messages import FeedbackAnswers

FeedbackEmailKind = Literal["request", "reminder"]


class FeedbackOpen(BaseModel):
    deal_id: str
    ae_id: str
    partner_id: str
    program_id: str | None = None
    requested_at: datetime


class FeedbackPlan(BaseModel):
    """What the first activity found: whether to ask at all, and the cadence stored on the request row."""

    ask: bool
    reason: str = ""
    requested_at: datetime
    expires_at: datetime
    reminder_days: list[int] = Field(default_factory=list)


class FeedbackEmail(BaseModel):
    """The request (n = 0) or reminder n for one (deal, AE)."""

    deal_id: str
    ae_id: str
    kind: FeedbackEmailKind
    n: int
    expires_at: datetime
    occurred_at: datetime


class FeedbackRecord(BaseModel):
    deal_id: str
    ae_id: str
    partner_id: str
    answers: FeedbackAnswers
    revision: int  # 1 for the first answer; a retried activity with the same revision changes nothing
    submitted_at: datetime


class FeedbackClose(BaseModel):
    deal_id: str
    ae_id: str
    closed_at: datetime


class TrustProjection(BaseModel):
    """A journey's `trust_updated` timeline event: what it saw and in which stage."""

    journey_id: str
    key: str
    stage: str
    trust_score: int | None
    feedback_received: int
    occurred_at: datetime
