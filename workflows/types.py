"""Inputs, outputs and messages of the workflows. Pydantic models, passed through the sandbox and
converted with the pydantic data converter (datetimes survive the sandbox that way)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from playbooks.model import Playbook, PlaybookRef

JourneyStatus = Literal["active", "waiting", "overdue", "stalled", "held", "paused", "completed", "exited"]
SHARD_SIZE = 500  # journeys per shard: well under Temporal's 2,000 pending children per workflow


def journey_id(cohort_id: str, partner_id: str) -> str:
    return f"journey/{cohort_id}/{partner_id}"


def window_id(cohort_id: str) -> str:
    return f"window/{cohort_id}"


class WindowInput(BaseModel):
    version: int = 1
    cohort_id: str
    playbook: PlaybookRef
    starts_at: datetime
    ends_at: datetime


def shard_id(cohort_id: str, index: int) -> str:
    return f"window/{cohort_id}/shard-{index}"


class JourneyCarry(BaseModel):
    """State carried across continue-as-new at a stage boundary."""

    stage_index: int
    completed: list[str] = Field(default_factory=list)
    overdue: list[str] = Field(default_factory=list)
    skipped: list[str] = Field(default_factory=list)
    paused: bool = False
    last_progress_at: datetime | None = None
    trust_score: int | None = None  # latest AE-feedback trust score the journey was told about
    feedback_keys: list[str] = Field(default_factory=list)


class WindowChange(BaseModel):
    """A PM change that travels window -> shards -> journeys. Applying it twice is harmless."""

    key: str
    ends_at: datetime | None = None
    paused: bool | None = None
    exit_reason: str | None = None
    status: Literal["closed", "cancelled"] | None = None
    playbook: PlaybookRef | None = None


class GateDecision(BaseModel):
    decision: Literal["advance", "extend", "exit"]
    extend_days: int = Field(default=7, gt=0, le=90)
    reason: str = ""


class ShardInput(BaseModel):
    cohort_id: str
    index: int
    playbook: PlaybookRef
    window_ends_at: datetime
    partners: list[str]
    paused: bool = False
    started: bool = False  # true after continue-as-new: the journeys already exist


class MembersPage(BaseModel):
    cohort_id: str
    after: str = ""
    limit: int = SHARD_SIZE


class PartnersChange(BaseModel):
    key: str
    partner_ids: list[str]


class JourneyInput(BaseModel):
    version: int = 1
    cohort_id: str
    partner_id: str
    playbook: PlaybookRef
    window_ends_at: datetime
    carry: JourneyCarry | None = None


class PartnerProfile(BaseModel):
    id: str
    name: str
    type: str
    verticals: list[str] = Field(default_factory=list)
    tier: int = 3
    timezone: str = "UTC"


class JourneyContext(BaseModel):
    playbook: Playbook
    partner: PartnerProfile


class LoadContext(BaseModel):
    cohort_id: str
    partner_id: str
    playbook: PlaybookRef


class StepSubmission(BaseModel):
    step_key: str
    answers: dict[str, Any]


class NextStep(BaseModel):
    step_key: str
    title: str


class StepReceipt(BaseModel):
    step_key: str
    completed_at: datetime
    readiness_score: int
    next_step: NextStep | None


class OpenStepView(BaseModel):
    step_key: str
    stage: str
    due_at: datetime
    reminders_sent: int


class JourneyProgress(BaseModel):
    stage: str
    status: JourneyStatus
    open_step: OpenStepView | None
    completed: list[str]
    overdue: list[str]
    readiness_score: int
    trust_score: int | None = None
    feedback_received: int = 0


class StepNotice(BaseModel):
    """Invite or reminder for one step; `n` is the reminder number (0 = the invite)."""

    journey_id: str
    cohort_id: str
    partner_id: str
    stage: str
    play_key: str
    step_key: str
    kind: Literal["invite", "reminder"]
    n: int
    due_at: datetime
    occurred_at: datetime
    playbook: PlaybookRef | None = None  # the journey's snapshot; differs from the cohort's after a migration


class JourneyUpdate(BaseModel):
    """One timeline event plus the read-model change it implies."""

    journey_id: str
    cohort_id: str
    partner_id: str
    kind: Literal[
        "stage_entered",
        "step_completed",
        "step_overdue",
        "step_skipped",
        "gate_passed",
        "gate_held",
        "gate_decided",
        "journey_paused",
        "journey_resumed",
        "journey_completed",
        "journey_exited",
    ]
    stage: str
    step_key: str | None = None
    status: JourneyStatus
    occurred_at: datetime
    readiness_score: int
    current_step: str | None = None
    current_play: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    playbook_version: int | None = None


class PmNotice(BaseModel):
    """Something the program manager must act on: an email to the PM and a timeline event."""

    journey_id: str
    cohort_id: str
    partner_id: str
    kind: Literal["escalated", "gate_held"]
    stage: str
    step_key: str | None = None
    reason: str
    occurred_at: datetime


class CohortStatusChange(BaseModel):
    cohort_id: str
    status: Literal["active", "paused", "closed", "cancelled"]
    ends_at: datetime | None = None


# --- AE feedback (workflows/ae_feedback.py) ---------------------------------------------------


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
    kind: Literal["request", "reminder"]
    n: int
    expires_at: datetime
    occurred_at: datetime


class FeedbackAnswers(BaseModel):
    """The form as submitted. Deliberately unconstrained: the update validator checks it and says what
    is wrong (domain.trust.feedback_errors), instead of a payload conversion failing without a reason."""

    contribution: str
    role_clarity: int
    responsiveness: int
    invite_again: bool
    comment: str = ""


class FeedbackRecord(BaseModel):
    deal_id: str
    ae_id: str
    partner_id: str
    answers: FeedbackAnswers
    revision: int  # 1 for the first answer; a retried activity with the same revision changes nothing
    submitted_at: datetime


class FeedbackReceipt(BaseModel):
    deal_id: str
    ae_id: str
    revision: int
    submitted_at: datetime
    trust_score: int | None
    running_journeys: list[str] = Field(default_factory=list)


class FeedbackClose(BaseModel):
    deal_id: str
    ae_id: str
    closed_at: datetime


class FeedbackState(BaseModel):
    status: Literal["waiting", "answered", "expired", "not_asked"]
    reason: str = ""
    expires_at: datetime | None = None
    reminders_sent: list[datetime] = Field(default_factory=list)
    revisions: int = 0


class FeedbackNote(BaseModel):
    """Signal to the partner's running journey(s): an AE answered; `key` dedupes redelivery."""

    key: str
    deal_id: str
    ae_id: str
    trust_score: int | None
    contribution: str
    invite_again: bool
    occurred_at: datetime


class TrustProjection(BaseModel):
    """A journey's `trust_updated` timeline event: what it saw and in which stage."""

    journey_id: str
    key: str
    stage: str
    trust_score: int | None
    feedback_received: int
    occurred_at: datetime


# --- intro requests (issue 5): journey -> owner AE's daily digest -> AE answer ---------------------

IntroAnswerKind = Literal["accept", "decline", "not_now"]
INTRO_ANSWER_STATUS: dict[str, str] = {"accept": "accepted", "decline": "declined", "not_now": "not_now"}


def intro_batch_id(ae_id: str, day: str) -> str:
    """One batch workflow (and one digest email) per AE per digest day."""
    return f"intros/{ae_id}/{day}"


class RequestIntros(BaseModel):
    """A completed ae_intro_request step: write the requests and hand them to the owner AEs' batches."""

    journey_id: str
    cohort_id: str
    partner_id: str
    step_key: str
    accounts: list[str]
    reason: str
    requested_at: datetime


class IntrosRequested(BaseModel):
    request_ids: list[str]
    skipped: list[str] = Field(default_factory=list)  # accounts no longer in the partner's overlap


class IntroBatchInput(BaseModel):
    ae_id: str
    day: str  # ISO date of the digest
    send_at: datetime  # the digest goes out then, with every request that arrived before
    every_business_days: int
    max_reminders: int
    timezone: str = "UTC"
    quiet_start: str = "19:00"
    quiet_end: str = "08:00"
    link_max_age_days: int = 30  # answers are taken as long as the newest emailed link is valid


class IntroBatchAdd(BaseModel):
    request_ids: list[str]


class IntroMail(BaseModel):
    """One email of an AE's batch: the digest (n = 0; 1.. for late arrivals), a reminder (n = 1..), the PM
    escalation, or the partner's "the AE answered" for one request."""

    ae_id: str
    day: str
    kind: Literal["digest", "reminder", "escalation", "answered"]
    n: int
    request_ids: list[str]
    occurred_at: datetime


class IntroAnswer(BaseModel):
    request_id: str
    answer: IntroAnswerKind
    note: str = Field(default="", max_length=2000)


class RecordIntroAnswer(BaseModel):
    ae_id: str
    request_id: str
    answer: IntroAnswerKind
    note: str = ""
    answered_at: datetime


class IntroAnswerReceipt(BaseModel):
    request_id: str
    status: str
    answered_at: datetime
