"""The partner directory: summaries, one partner with its contacts, and the PM's edits."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from api.cohorts.schemas import ContactIn, Email, Input, TimeZone
from api.fields import Line, Plain, Text
from playbooks.model import PartnerType

PAGE_CAP = 200


class PartnerSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    external_id: str | None
    name: str
    type: str
    verticals: list[str]
    region: str
    timezone: str
    tier: int
    trust_score: int | None
    owner_user_id: str | None = Field(description="The partner manager responsible (a dashboard user), if any")


class PartnerPage(BaseModel):
    total: int = Field(description="Partners matching the filters, over all pages")
    limit: int
    offset: int
    partners: list[PartnerSummary]


class ContactOut(BaseModel):
    id: int
    email: str
    name: str
    role: str
    is_primary: bool
    suppressed: str | None = Field(description="`all` or `reminders` while email to this address is stopped")
    suppressed_because: str | None = Field(description="bounce, spamreport or unsubscribe")


class CohortRef(BaseModel):
    id: str
    name: str
    status: str
    starts_at: datetime


class OwnerOut(BaseModel):
    id: str
    email: str
    name: str


class PartnerDetail(PartnerSummary):
    created_at: datetime
    owner: OwnerOut | None = Field(description="Alerts about this partner go to its owner, else the program's PM")
    contacts: list[ContactOut]
    cohorts: list[CohortRef]


class PartnerPatch(Input):
    """The fields to change; null leaves a field as it is, except `external_id` and `owner`, which null clears."""

    external_id: str | None = Text(120, default=None)
    name: str | None = Text(200, default=None)
    type: PartnerType | None = None
    verticals: list[Line] | None = Field(default=None, max_length=20)
    region: str | None = Plain(None, max_length=60)
    timezone: TimeZone | None = None
    tier: int | None = Field(default=None, ge=1, le=3)
    owner: Email | None = Field(
        default=None, description="The owner's (a dashboard user's) email; null removes the owner"
    )


class ContactCreate(ContactIn):
    is_primary: bool = Field(default=False, description="Make this the address the partner's emails go to")


class ContactPatch(Input):
    email: Email | None = None
    name: str | None = Text(200, default=None)
    role: str | None = Plain(None, max_length=120)
    is_primary: bool | None = Field(default=None, description="true makes this the primary contact")


class ContactRestore(Input):
    reason: str = Text(500, min_length=3, description="Why email may go to this contact again")
    email: Email | None = Field(default=None, description="A changed address; required after a hard bounce")
