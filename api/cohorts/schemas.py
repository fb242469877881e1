from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema

from api.fields import Email, Line, Moment, Plain, Text, TimeZone
from domain.public_holidays import normalize_country, supported_countries
from playbooks.model import MAX_VERSION, PartnerType
from workflows.window.messages import window_id

if TYPE_CHECKING:
    from db.models import Cohort


def _country(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    code = normalize_country(value)
    if code is None:
        raise ValueError(f"unknown country {value!r}; use an ISO 3166-1 alpha-2 code like DE or US")
    return code


def _countries() -> dict[str, Any]:
    codes = sorted(supported_countries())
    return {"anyOf": [{"type": "string", "enum": ["", *codes, *(c.lower() for c in codes)]}, {"type": "null"}]}


Country = Annotated[str | None, AfterValidator(_country), WithJsonSchema(_countries())]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ContactIn(Input):
    email: Email
    name: str = Text(200)
    role: str = Plain("", max_length=120)


class PartnerIn(Input):
    external_id: str | None = Plain(None, max_length=120)
    name: str = Text(200)
    type: PartnerType
    verticals: list[Line] = Field(default_factory=list)
    region: str = Plain("", max_length=60)
    # Whose public holidays move due dates and reminders; omitted, a region that is a country code is used.
    country: Country = None
    timezone: TimeZone = "UTC"
    tier: int = Field(default=3, ge=1, le=3)
    contacts: list[ContactIn] = Field(min_length=1)

    @property
    def holiday_country(self) -> str | None:
        return self.country or normalize_country(self.region)


class CohortCreate(Input):
    name: str = Text(200)
    program: str = Text(200, default="Partner Co-Sell Program")
    pm_email: Email | None = None
    playbook_id: str = Plain(max_length=200)
    playbook_version: int | None = Field(default=None, ge=1, le=MAX_VERSION)
    starts_at: Moment | None = Field(
        default=None, description="When partners hear first; later than now schedules the window (default: now)"
    )
    ends_at: Moment | None = Field(default=None, description="The window's end; or give duration_days")
    duration_days: int | None = Field(default=None, gt=0, le=365)
    partners: list[PartnerIn] = Field(min_length=1, max_length=50_000)


class CohortClone(Input):
    name: str = Text(200)
    starts_at: Moment | None = Field(default=None, description="Default: now; later schedules the window")
    ends_at: Moment | None = Field(default=None, description="Default: the source window's length after the start")
    launch: bool = Field(default=True, description="false: create it only; launch later with POST .../launch")


class CohortRename(Input):
    name: str = Text(200)


class PlaybookPin(BaseModel):
    id: str
    version: int
    sha256: str


class CohortOut(BaseModel):
    id: str
    name: str
    program: str
    status: str
    playbook: PlaybookPin
    starts_at: datetime
    ends_at: datetime
    partners: int
    window_workflow_id: str

    @classmethod
    def of(cls, cohort: Cohort, program: str, sha256: str, members: int) -> CohortOut:
        return cls(
            id=cohort.id,
            name=cohort.name,
            program=program,
            status=cohort.status,
            playbook=PlaybookPin(id=cohort.playbook_id, version=cohort.playbook_version, sha256=sha256),
            starts_at=cohort.starts_at,
            ends_at=cohort.ends_at,
            partners=members,
            window_workflow_id=window_id(cohort.id),
        )


CohortStatus = Literal["launching", "scheduled", "active", "paused", "closed", "cancelled"]


class CohortFilter(BaseModel):
    program: str | None = Plain(None, description="Program id or name")
    status: CohortStatus | None = None
    starts_from: Moment | None = Field(default=None, description="Windows starting at or after this moment")
    starts_before: Moment | None = Field(default=None, description="Windows starting before this moment")
    limit: int = Field(default=100, ge=1, le=500, description="At most 500 (newest windows first)")


class CohortList(BaseModel):
    count: int
    cohorts: list[CohortOut]


class PartnerProgress(BaseModel):
    partner_id: str
    name: str
    type: str
    tier: int
    stage: str | None
    current_play: str | None
    current_step: str | None
    status: str
    readiness_score: int
    updated_at: datetime | None
    last_progress_at: datetime | None = Field(description="Last completed step (or the journey's start)")
    days_behind_cohort: float = Field(description="How far the last progress trails the cohort median, in days")
    lagging: bool = Field(description="Behind the cohort median by more than the playbook's stall threshold")
    behavior: int | None = Field(default=None, description="0-100 at the last tier review; none before the first")
    gtm_readiness: int | None = Field(default=None, description="Signal, 0-100, at the last tier review")
    proven_capability: int | None = Field(default=None, description="Signal, 0-100, at the last tier review")
    early_traction: int | None = Field(default=None, description="Signal, 0-100, at the last tier review")
    field_advocacy: int | None = Field(default=None, description="Signal, 0-100, at the last tier review")
    classification: str | None = Field(
        default=None, description="on_track | not_yet | at_risk | not_now, at the last tier review"
    )
    scored_at: datetime | None = Field(default=None, description="The moment the last tier review judged")


class StepCounts(BaseModel):
    step_key: str
    stage: str
    title: str
    invited: int = 0
    open: int = 0
    completed: int = 0
    overdue: int = 0


class CohortProgress(BaseModel):
    cohort: CohortOut
    partners: list[PartnerProgress]
    by_stage: dict[str, int]
    by_status: dict[str, int]
    steps: list[StepCounts]


class CohortSummary(BaseModel):
    """A cohort's progress as counts, computed in SQL; the rows are paged at `partners_url`."""

    cohort: CohortOut
    partners: int = Field(description="Active members")
    by_stage: dict[str, int]
    by_status: dict[str, int] = Field(description="Journey status; `not_started` for a partner without one")
    by_tier: dict[int, int]
    lagging: int = Field(description="Running journeys behind the cohort median by more than the stall threshold")
    median_last_progress_at: datetime | None
    steps: list[StepCounts]
    partners_url: str
    as_of: datetime = Field(description="When these counts were made (at most progress_summary_max_age_seconds ago)")


class PartnerPage(BaseModel):
    items: list[PartnerProgress]
    next: str | None = Field(description="Pass as `after` for the next page; null on the last page")
