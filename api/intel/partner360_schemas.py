"""Partner 360 over the API: everything cosell knows about one partner, each score with its facts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from api.intel.schemas import ActionOut, SignalsOut


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ContactOut(Out):
    email: str
    name: str
    role: str
    is_primary: bool


class EventOut(Out):
    kind: str
    stage: str
    step_key: str | None
    occurred_at: datetime
    data: dict[str, Any]


class JourneyOut(BaseModel):
    journey_id: str
    cohort_id: str
    cohort_name: str
    program_id: str
    stage: str
    status: str
    current_step: str | None
    # Every step the partner may answer now (a parallel play opens several; a sent-back step stays beside the next)
    open_steps: list[str] = []
    started_at: datetime
    completed_at: datetime | None
    timeline: list[EventOut]  # oldest first


class SubmissionOut(BaseModel):
    journey_id: str
    step_key: str
    title: str
    answer_kinds: list[str]
    answers: dict[str, Any]
    submitted_at: datetime
    review: str  # pending | approved | graded | sent_back
    score: int | None = None  # the PM's grade, which replaced the rule score for this answer
    review_comment: str = ""
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None


class TierMoveOut(Out):
    review_id: str
    previous_tier: int
    new_tier: int
    move: str
    reasons: list[str]
    signals: dict[str, int]
    rubric: str
    at: datetime


class DealOut(Out):
    deal_id: str
    account_name: str
    stage: str
    partner_role: str
    source: str
    ae_name: str
    amount: int | None
    registered_at: datetime
    updated_at: datetime
    expected_close: date | None
    closed_at: datetime | None
    conflict: str | None


class IntroOut(Out):
    intro_id: str
    account_name: str
    ae_name: str
    status: str
    requested_at: datetime
    answered_at: datetime | None


class FeedbackOut(Out):
    deal_id: str
    account_name: str
    ae_name: str
    contribution: str
    role_clarity: int
    responsiveness: int
    invite_again: bool
    submitted_at: datetime | None


class FeedbackAskOut(Out):
    deal_id: str
    ae_name: str
    status: str
    requested_at: datetime
    expires_at: datetime


class PartnerHeadOut(Out):
    id: str
    name: str
    type: str
    verticals: list[str]
    region: str
    timezone: str
    tier: int
    missed_reviews: int  # tier reviews in a row that kept it in a tier it missed (hysteresis)


class Partner360Out(BaseModel):
    """One partner judged at `as_of`: `signals` holds the four signals, behavior, trust, tier, class and
    next action, each score with the facts and weights that produced it (as GET .../signals)."""

    partner: PartnerHeadOut
    as_of: datetime
    contacts: list[ContactOut]
    journeys: list[JourneyOut]  # newest first
    submissions: list[SubmissionOut]
    signals: SignalsOut
    tier_history: list[TierMoveOut]  # oldest first
    deals: list[DealOut]
    intros: list[IntroOut]
    feedback: list[FeedbackOut]
    feedback_asks: list[FeedbackAskOut]
    next_best_action: ActionOut
