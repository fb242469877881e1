"""PartnerJourneyWorkflow's id, input and carry, signals, update and query."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from playbooks.model import PlaybookRef, WaitEvent

JourneyStatus = Literal["active", "waiting", "overdue", "stalled", "held", "paused", "completed", "exited"]


def journey_id(cohort_id: str, partner_id: str) -> str:
    return f"journey/{cohort_id}/{partner_id}"


class SendBack(BaseModel):
    """The PM sends a completed step's answer back with a comment: the step reopens for a revision."""

    step_key: str
    comment: str = Field(min_length=1, max_length=2000, pattern=r"^[^\x00]*$")
    key: str  # the answer sent back (its submission time): the same answer is never sent back twice

    @property
    def tag(self) -> str:
        return f"{self.step_key}@{self.key}"


class SendBackReceipt(BaseModel):
    step_key: str
    n: int  # the step's send-back count: 1 for the first
    due_at: datetime  # the revision's due date


class Reopened(BaseModel):
    """A sent-back step the partner may revise until `due_at`, alongside whatever step is open."""

    step_key: str
    stage: str
    play_key: str
    comment: str
    n: int
    due_at: datetime


class PartnerEvent(BaseModel):
    """Signal to the partner's running journeys: something a wait_for_event step may wait for was recorded.
    `id` names the fact (a deal's acceptance), so the same fact recorded or delivered twice counts once."""

    id: str
    kind: WaitEvent
    occurred_at: datetime
    tier: int | None = None  # tier_reached: the tier the partner is in now


class Revisable(BaseModel):
    """A completed step the playbook lets the partner revise (`revisable: true`) until its due date."""

    step_key: str
    play_key: str
    due_at: datetime
    n: int = 0  # revisions so far


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
    reopened: list[Reopened] = Field(default_factory=list)  # sent back, waiting for the revision
    send_backs: dict[str, SendBackReceipt] = Field(default_factory=dict)  # by SendBack.tag: a repeat is answered
    events: list[PartnerEvent] = Field(default_factory=list)  # what waits of later stages may already have
    variants: dict[str, str] = Field(default_factory=dict)  # experiment key -> variant: a partner keeps it
    revisable: dict[str, Revisable] = Field(default_factory=dict)  # by step key


class JourneyInput(BaseModel):
    version: int = 1
    cohort_id: str
    partner_id: str
    playbook: PlaybookRef
    window_ends_at: datetime
    carry: JourneyCarry | None = None


class GateDecision(BaseModel):
    decision: Literal["advance", "extend", "exit"]
    extend_days: int = Field(default=7, gt=0, le=90)
    reason: str = Field(default="", pattern=r"^[^\x00]*$")  # the PM's words, stored as text


class FeedbackNote(BaseModel):
    """Signal to the partner's running journey(s): an AE answered; `key` dedupes redelivery."""

    key: str
    deal_id: str
    ae_id: str
    trust_score: int | None
    contribution: str
    invite_again: bool
    occurred_at: datetime


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
    waits_for: WaitEvent | None = None  # the step waits for this event (a wait, or an unlock), not for an answer


class JourneyProgress(BaseModel):
    stage: str
    status: JourneyStatus
    open_step: OpenStepView | None  # the first of open_steps
    open_steps: list[OpenStepView] = Field(default_factory=list)  # a parallel play's steps are open together
    completed: list[str]
    overdue: list[str]
    readiness_score: int
    trust_score: int | None = None
    feedback_received: int = 0
    heard: list[str] = Field(default_factory=list)  # ids of the partner events the journey heard, once each
    variants: dict[str, str] = Field(default_factory=dict)  # experiment key -> the variant this journey got
