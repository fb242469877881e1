"""What the scorers read: one partner's recorded facts, typed, with where each one lives in the database.

Every field is something cosell records (or must record, where noted), so a score can be recomputed
from the database at any time. Facts dated after `as_of` are the caller's to leave out.

| fact                | read from                                                                  |
| ------------------- | -------------------------------------------------------------------------- |
| `PartnerFacts` head | `partners` (type, verticals, region, tier)                                 |
| `StepFact`          | `journey_steps` (invited_at, due_at, reminders_sent, completed_at) + the   |
|                     | playbook step (title, kind, max reminders) + `journey_events` step_overdue |
| `first_seen_at`     | earliest of: a link-page visit (`step_visits`, one row per journey/step/   |
|                     | day, not from known mail-scanner prefetches: domain.visits), the step      |
|                     | email's `email_outbox.clicked_at`, the completion                          |
| `Submission`        | `journey_steps.submission` + `answer_kinds_of(playbook step)`; the review  |
|                     | from `submission_reviews` (journey/step, decision, score, comment, by, at) |
|                     | when it reviewed this answer (its `submitted_at` is the completion)        |
| `EventFact`         | `journey_events` (kind, step_key, occurred_at, data): gate_held etc.       |
| `IntroFact`         | `intro_requests` + `vendor_accounts.name` + `account_executives.name`      |
| `DealFact`          | `deals`                                                                    |
| `feedback`          | `ae_feedback` rows with status submitted, as `domain.trust.Feedback`       |
| `FeedbackAsk`       | `ae_feedback` rows (status requested / expired)                            |
| `overlapping`       | `account_matches` joined to `vendor_accounts` (names of overlapping        |
|                     | accounts), `accounts_uploaded` = count of `partner_accounts`               |
| `missed_reviews`    | `partners.missed_reviews`: tier reviews in a row in which the partner      |
|                     | missed its tier and kept it (written by the tier review)                   |
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.trust import Feedback
from playbooks.kinds import KINDS
from playbooks.model import StepKind


class AnswerKind(StrEnum):
    """What a submitted answer is about; the readiness rubric has one set of rules per kind."""

    icp = "icp"
    value_proposition = "value_proposition"
    offer = "offer"
    use_case = "use_case"
    proof_point = "proof_point"


# A step's readiness signals say what its answers are about (a playbook declares them per step);
# a field keyed `value_proposition` adds that kind wherever it appears.
SIGNAL_KINDS = {
    "icp_clarity": AnswerKind.icp,
    "packaged_offer": AnswerKind.offer,
    "repeatable_use_case": AnswerKind.use_case,
    "proof_points": AnswerKind.proof_point,
}
FIELD_KINDS = {"value_proposition": AnswerKind.value_proposition}


def answer_kinds_of(step_kind: str, signals: list[str], field_keys: list[str]) -> tuple[AnswerKind, ...]:
    """The answer kinds of a playbook step, from what the playbook already declares; none for a step kind
    whose answers are not judged (playbooks.kinds: its completion counts as behavior)."""
    if not KINDS[StepKind(step_kind)].judged_answers:
        return ()
    kinds = [SIGNAL_KINDS[s] for s in signals if s in SIGNAL_KINDS]
    kinds += [FIELD_KINDS[k] for k in field_keys if k in FIELD_KINDS]
    return tuple(dict.fromkeys(kinds))


class Fact(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StepFact(Fact):
    journey_id: str
    step_key: str
    title: str
    kind: str  # the playbook step kind: form, acknowledge, account_upload, ...
    stage: str
    invited_at: datetime
    due_at: datetime
    reminders_sent: int = 0
    max_reminders: int = 2
    first_seen_at: datetime | None = None
    completed_at: datetime | None = None


class Review(Fact):
    state: Literal["pending", "approved", "sent_back"]
    at: datetime | None = None
    by: str = ""
    comment: str = ""
    grade: int | None = Field(default=None, ge=0, le=100)  # a PM grade overrides the rule score


class Submission(Fact):
    journey_id: str = ""
    step_key: str
    title: str
    answer_kinds: tuple[AnswerKind, ...] = ()
    answers: dict[str, Any] = Field(default_factory=dict)
    submitted_at: datetime
    revision: int = 1  # a revision after a send-back replaces the answer; only the latest is kept
    review: Review = Review(state="pending")
    sent_back_at: datetime | None = None  # the last send-back, kept after the revision for follow-through


class EventFact(Fact):
    journey_id: str
    kind: str
    occurred_at: datetime
    step_key: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class IntroFact(Fact):
    intro_id: str
    account_name: str
    ae_id: str
    ae_name: str = ""
    status: Literal["pending", "sent", "accepted", "declined", "not_now", "escalated"]
    requested_at: datetime
    answered_at: datetime | None = None


class DealFact(Fact):
    deal_id: str
    account_name: str
    stage: Literal["registered", "accepted", "rejected", "open", "closed_won", "closed_lost"]
    partner_role: str = "influenced"
    source: Literal["partner", "pm", "crm"] = "partner"
    ae_id: str | None = None
    ae_name: str = ""
    amount: int | None = None
    registered_at: datetime
    updated_at: datetime
    expected_close: date | None = None
    closed_at: datetime | None = None
    conflict: Literal["flagged", "resolved"] | None = None


class FeedbackAsk(Fact):
    deal_id: str
    ae_id: str
    ae_name: str = ""
    status: Literal["requested", "submitted", "expired"]
    requested_at: datetime
    expires_at: datetime


class PartnerFacts(Fact):
    partner_id: str
    name: str
    type: str
    verticals: tuple[str, ...] = ()
    region: str = ""
    tier: Literal[1, 2, 3] = 3
    missed_reviews: int = 0  # reviews in a row in which the partner missed its current tier
    joined_at: datetime  # when the partner's first journey started
    steps: tuple[StepFact, ...] = ()
    submissions: tuple[Submission, ...] = ()
    events: tuple[EventFact, ...] = ()
    intros: tuple[IntroFact, ...] = ()
    deals: tuple[DealFact, ...] = ()
    feedback: tuple[Feedback, ...] = ()
    feedback_asks: tuple[FeedbackAsk, ...] = ()
    accounts_uploaded: int = 0
    overlapping: tuple[str, ...] = ()  # names of vendor accounts the partner's list overlaps
