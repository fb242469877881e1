"""The events cosell sends to webhook subscribers: their names, versions and payloads (documented in the OpenAPI).

Every request body is one `WebhookEnvelope`: `type` names the event, `version` its payload's shape (a change
that is not additive gets a new version), `sequence` orders the events of one partner in a program (deliveries
of one partner are also sent in that order), and `data` is the event's own model.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

VERSION = 1


class EventType(StrEnum):
    stage_entered = "journey.stage_entered"
    step_completed = "journey.step_completed"
    stalled = "journey.stalled"
    exited = "journey.exited"
    tier_changed = "partner.tier_changed"
    deal_registered = "deal.registered"
    deal_accepted = "deal.accepted"
    deal_won = "deal.won"
    deal_lost = "deal.lost"
    feedback_received = "feedback.received"
    intro_answered = "intro.answered"
    window_launched = "window.launched"
    window_closed = "window.closed"


# The timeline event kinds (journey_events.kind) that are webhook events. A journey stalls when a step goes
# overdue after too long without progress: the PM is alerted (`escalated`), once.
TIMELINE_KINDS: dict[str, EventType] = {
    "stage_entered": EventType.stage_entered,
    "step_completed": EventType.step_completed,
    "escalated": EventType.stalled,
    "journey_exited": EventType.exited,
    "journey_completed": EventType.exited,
    "tier_changed": EventType.tier_changed,
    "deal_registered": EventType.deal_registered,
    "deal_accepted": EventType.deal_accepted,
    "deal_closed_won": EventType.deal_won,
    "deal_closed_lost": EventType.deal_lost,
    "ae_feedback_received": EventType.feedback_received,
    "intro_accepted": EventType.intro_answered,
    "intro_declined": EventType.intro_answered,
    "intro_not_now": EventType.intro_answered,
}


class JourneyData(BaseModel):
    """journey.*, partner.tier_changed, deal.*, feedback.received and intro.answered: a fact on a partner's
    journey timeline. `kind` is the timeline's own name for it (journey.exited: `journey_completed` when the
    partner finished the playbook, `journey_exited` when the journey ended early)."""

    journey_id: str
    cohort_id: str
    partner_id: str
    stage: str
    step_key: str | None = None
    kind: str
    details: dict[str, Any] = Field(default_factory=dict, description="the timeline event's data, as recorded")


class WindowData(BaseModel):
    """window.launched and window.closed: an activation window (cohort) changed status."""

    cohort_id: str
    name: str
    status: str
    starts_at: datetime | None = None
    ends_at: datetime | None = None


class WebhookEnvelope(BaseModel):
    id: str = Field(description="the event's id; the same in a retry or a replay (also the webhook-id header)")
    type: EventType
    version: int = VERSION
    timestamp: datetime = Field(description="when the fact happened")
    program_id: str
    partner_id: str | None = Field(description="the partner the event is about (none for window events)")
    sequence: int = Field(description="position among this partner's events in this program, from 1; order by it")
    data: JourneyData | WindowData
