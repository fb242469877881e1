"""Inputs and results of the JourneyActivities (activities/journeys.py): what workflows hand them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from playbooks.model import Playbook, PlaybookRef
from workflows.journey.messages import JourneyStatus
from workflows.shard.messages import SHARD_SIZE

StepNoticeKind = Literal["invite", "reminder", "sent_back"]
PmNoticeKind = Literal["escalated", "gate_held"]
CohortStatus = Literal["scheduled", "active", "paused", "closed", "cancelled"]
JourneyEventKind = Literal[
    "stage_entered",
    "step_completed",
    "step_revised",
    "step_overdue",
    "step_skipped",
    "step_waiting",
    "step_unlocked",
    "gate_passed",
    "gate_held",
    "gate_decided",
    "journey_paused",
    "journey_resumed",
    "journey_completed",
    "journey_exited",
]


class PartnerProfile(BaseModel):
    id: str
    name: str
    type: str
    verticals: list[str] = Field(default_factory=list)
    tier: int = 3
    timezone: str = "UTC"
    country: str | None = None
    # The country's public holidays around now, recorded here so due dates replay identically even
    # after the holiday package is upgraded.
    holidays: list[date] = Field(default_factory=list)


class JourneyContext(BaseModel):
    playbook: Playbook
    partner: PartnerProfile


class LoadContext(BaseModel):
    cohort_id: str
    partner_id: str
    playbook: PlaybookRef


class StepNotice(BaseModel):
    """Invite, reminder or send-back of one step; `n` is the reminder number (0 = the invite), or the
    send-back's, whose `comment` the email carries."""

    journey_id: str
    cohort_id: str
    partner_id: str
    stage: str
    play_key: str
    step_key: str
    kind: StepNoticeKind
    n: int
    due_at: datetime
    occurred_at: datetime
    playbook: PlaybookRef | None = None  # the journey's snapshot; differs from the cohort's after a migration
    comment: str = ""


class JourneyUpdate(BaseModel):
    """One timeline event plus the read-model change it implies."""

    journey_id: str
    cohort_id: str
    partner_id: str
    kind: JourneyEventKind
    stage: str
    step_key: str | None = None
    status: JourneyStatus
    occurred_at: datetime
    readiness_score: int
    current_step: str | None = None
    current_play: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    playbook_version: int | None = None
    # Journeys begun before the "deal-registration-activity" patch register a completed deal step's deal
    # here, in the projection's transaction; later ones send False and call DealActivities.register_deal.
    # True by default, so a projection an older worker scheduled still registers its deal.
    registers_deal: bool = True


class PmNotice(BaseModel):
    """Something the program manager must act on: an email to the PM and a timeline event."""

    journey_id: str
    cohort_id: str
    partner_id: str
    kind: PmNoticeKind
    stage: str
    step_key: str | None = None
    reason: str
    occurred_at: datetime


class CohortStatusChange(BaseModel):
    cohort_id: str
    status: CohortStatus
    ends_at: datetime | None = None
    starts_at: datetime | None = None


class MembersPage(BaseModel):
    cohort_id: str
    after: str = ""
    limit: int = SHARD_SIZE
