"""The events cosell sends to webhook subscribers: their names, versions and payloads (documented in the OpenAPI).

Every request body is one envelope: `type` names the event, `version` its payload's shape (a change that is not
additive gets a new version), `sequence` orders the events of one partner in a program (deliveries of one partner
are also sent in that order), and `data` is the event type's own model (`EVENTS[type].data`). Detail models allow
keys they do not name, so adding one is additive; every named key is typed.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

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
    "ae_feedback_received": EventType.feedback_received,
    "intro_accepted": EventType.intro_answered,
    "intro_declined": EventType.intro_answered,
    "intro_not_now": EventType.intro_answered,
}

# Deal events are the deal's, not its journey's: a deal the PM or a CRM import registered for a partner with no
# journey is one too (db/repositories/webhooks.emit_deal), under the timeline event's id.
DEAL_KINDS: dict[str, EventType] = {
    "deal_registered": EventType.deal_registered,
    "deal_accepted": EventType.deal_accepted,
    "deal_closed_won": EventType.deal_won,
    "deal_closed_lost": EventType.deal_lost,
}


class Details(BaseModel):
    model_config = ConfigDict(extra="allow")


class StageEnteredDetails(Details):
    title: str = Field(description="the stage's title in the playbook")
    ends_at: datetime | None = Field(None, description="when the stage's time is up")


class StepCompletedDetails(Details):
    play: str | None = Field(None, description="the play the step belongs to")
    answers: dict[str, Any] = Field(default_factory=dict, description="the partner's answers (a form step)")
    signals: dict[str, int] = Field(default_factory=dict, description="readiness points by signal so far")
    event: str | None = Field(None, description="a wait step: the event that completed it")
    event_id: str | None = None
    branch: str | None = None
    occurred_at: datetime | None = Field(None, description="a wait step: when the awaited event happened")


class StalledDetails(Details):
    reason: str = Field(description="why the program manager was alerted")
    about: str = "escalated"


class ExitedDetails(Details):
    reason: str | None = Field(None, description="why the journey ended early (journey_exited)")


class TierChangedDetails(Details):
    review_id: str
    previous_tier: int
    new_tier: int
    move: str = Field(description="promoted | demoted")
    reasons: list[str] = Field(default_factory=list)


class FeedbackDetails(Details):
    deal_id: str
    account: str
    ae: str = Field(description="the account executive's name")
    revision: int = Field(description="1 for the first answer, then one more per revision")
    contribution: str = Field(description="sourced | influenced | accelerated | none")
    role_clarity: int | None = None
    responsiveness: int | None = None
    invite_again: bool | None = None
    trust_score: float | None = None


class IntroAnsweredDetails(Details):
    request_id: str
    account: str = ""
    ae: str = Field("", description="the account executive's name")
    hours_to_answer: float | None = None


class JourneyData(BaseModel):
    """A fact on a partner's journey timeline. `kind` is the timeline's own name for it (journey.exited:
    `journey_completed` when the partner finished the playbook, `journey_exited` when the journey ended early;
    intro.answered: `intro_accepted`, `intro_declined` or `intro_not_now`)."""

    journey_id: str
    cohort_id: str
    partner_id: str
    stage: str = Field(description="the journey's stage")
    step_key: str | None = None
    kind: str


def _journey(name: str, details: type[Details]) -> type[JourneyData]:
    return create_model(name, __base__=JourneyData, details=(details, ...))


class PartnerFactData(BaseModel):
    """A fact about a partner in a program (version 2): on its latest journey's timeline when it has one;
    a partner with no journey in the program (a cohort not launched yet, a PM-registered deal) has none, and
    `journey_id`, `cohort_id` and `stage` are null."""

    journey_id: str | None = None
    cohort_id: str | None = None
    partner_id: str
    stage: str | None = Field(None, description="the journey's stage, if the partner has a journey")
    step_key: str | None = None
    kind: str


def _partner_fact(name: str, details: type[Details]) -> type[PartnerFactData]:
    return create_model(name, __base__=PartnerFactData, details=(details, ...))


StageEnteredData = _journey("StageEnteredData", StageEnteredDetails)
StepCompletedData = _journey("StepCompletedData", StepCompletedDetails)
StalledData = _journey("StalledData", StalledDetails)
ExitedData = _journey("ExitedData", ExitedDetails)
TierChangedData = _partner_fact("TierChangedData", TierChangedDetails)
FeedbackData = _partner_fact("FeedbackData", FeedbackDetails)
IntroAnsweredData = _journey("IntroAnsweredData", IntroAnsweredDetails)


class DealData(BaseModel):
    """deal.*: the deal as it stands after the fact (version 2: the deal's own fields, journey or not)."""

    deal_id: str
    partner_id: str
    cohort_id: str | None = Field(None, description="the activation window it counts for, if any")
    journey_id: str | None = Field(None, description="the partner's journey it counts for, if any")
    kind: str = Field(description="the timeline's name: deal_registered, deal_accepted, deal_closed_won/lost")
    account: str
    stage: str = Field(description="the deal's stage: registered, accepted, open, closed_won, closed_lost")
    source: str = Field(description="who registered it: partner | pm | crm")
    role: str = Field(description="the partner's role as registered: sourced | influenced | accelerated")
    amount: int | None = Field(None, description="whole currency units")
    currency: str
    expected_close: date | None = None
    crm_id: str | None = None
    registered_at: datetime
    closed_at: datetime | None = None


class DealRegisteredDetails(Details):
    step_key: str | None = Field(None, description="registered from this journey step")
    description: str | None = None
    line: int | None = Field(None, description="registered by a CRM import: the file's line")
    ae_email_unmatched: str | None = Field(None, description="an AE email no imported AE has")


class DealRegisteredData(DealData):
    details: DealRegisteredDetails = Field(default_factory=lambda: DealRegisteredDetails.model_validate({}))


class WindowData(BaseModel):
    """window.launched and window.closed: an activation window (cohort) changed status."""

    cohort_id: str
    name: str
    status: str
    starts_at: datetime | None = None
    ends_at: datetime | None = None


class Envelope(BaseModel):
    id: str = Field(description="the event's id; the same in a retry or a replay (also the webhook-id header)")
    timestamp: datetime = Field(description="when the fact happened")
    program_id: str
    partner_id: str | None = Field(description="the partner the event is about (none for window events)")
    sequence: int = Field(description="position among this partner's events in this program, from 1; order by it")


DATA: dict[EventType, tuple[type[BaseModel], int]] = {
    EventType.stage_entered: (StageEnteredData, 1),
    EventType.step_completed: (StepCompletedData, 1),
    EventType.stalled: (StalledData, 1),
    EventType.exited: (ExitedData, 1),
    EventType.tier_changed: (TierChangedData, 2),
    EventType.deal_registered: (DealRegisteredData, 2),
    EventType.deal_accepted: (DealData, 2),
    EventType.deal_won: (DealData, 2),
    EventType.deal_lost: (DealData, 2),
    EventType.feedback_received: (FeedbackData, 2),
    EventType.intro_answered: (IntroAnsweredData, 1),
    EventType.window_launched: (WindowData, 1),
    EventType.window_closed: (WindowData, 1),
}


def _event_model(type_: EventType, data: type[BaseModel], version: int) -> type[Envelope]:
    name = "".join(part.title() for part in type_.value.replace(".", "_").split("_")) + "Event"
    return create_model(
        name,
        __base__=Envelope,
        __doc__=f"{type_.value}, version {version}.",
        type=(Literal[type_.value], Field(description="the event's name")),  # type: ignore[valid-type,arg-type]
        version=(Literal[version], version),  # type: ignore[valid-type,arg-type]
        data=(data, ...),
    )


# One envelope model per event type: what `emit` writes and the OpenAPI documents.
EVENTS: dict[EventType, type[Envelope]] = {t: _event_model(t, data, v) for t, (data, v) in DATA.items()}


def envelope(type_: EventType, **fields: Any) -> Envelope:
    """The event's typed envelope; a `data` that does not fit its type's model is a ValidationError."""
    return EVENTS[type_].model_validate({"type": type_.value, **fields})
