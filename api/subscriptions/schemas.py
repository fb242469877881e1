"""Outbound webhook subscriptions as the PM API reads and writes them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from api.fields import Email, Plain
from domain.webhook_events import EventType

Events = list[EventType]


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    url: str = Field(
        max_length=2000,
        description="https (http only in development); never cosell itself, loopback, link-local or private",
    )
    events: Events = Field(min_length=1, json_schema_extra={"uniqueItems": True}, description="the events wanted")
    description: str = Plain("", max_length=200)
    owner_email: Email | None = Field(None, description="told when the subscription is disabled; default the PM")


class SubscriptionChange(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    url: str | None = Field(None, max_length=2000)
    events: Events | None = Field(None, min_length=1, json_schema_extra={"uniqueItems": True})
    description: str | None = Plain(None, max_length=200)
    owner_email: Email | None = None
    enabled: bool | None = Field(None, description="true re-enables a disabled subscription (its failures reset)")


class SubscriptionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    program_id: str
    url: str
    events: Events
    description: str
    owner_email: str
    enabled: bool
    disabled_reason: str
    consecutive_failures: int
    previous_expires_at: datetime | None = Field(description="until then the previous secret signs too")
    created_at: datetime


class SubscriptionCreated(SubscriptionOut):
    secret: str = Field(description="shown only now: verify `webhook-signature` with it (Standard Webhooks)")


class Rotate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    overlap_hours: int = Field(24, ge=0, le=168, description="how long the old secret keeps signing too")


class Rotated(BaseModel):
    secret: str = Field(description="the new secret, shown only now")
    previous_expires_at: datetime | None


class AttemptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    attempted_at: datetime
    status_code: int | None
    latency_ms: int
    response_excerpt: str
    error: str


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    event_id: str
    type: str
    partner_id: str
    sequence: int
    status: str = Field(description="pending, queued, delivered, failed (gave up) or skipped")
    attempts: int
    replays: int
    last_status_code: int | None
    delivered_at: datetime | None
    created_at: datetime
    log: list[AttemptOut] = Field(default_factory=list, description="every attempt, oldest first")
