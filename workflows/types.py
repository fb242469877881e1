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
