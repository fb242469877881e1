"""One CSV row per item of the JSON API, flattened: nested objects become columns, lists become `; `-joined
text, so a spreadsheet shows what the API answers."""

from __future__ import annotations

import json
from datetime import date, datetime

from pydantic import BaseModel

from api.deals.schemas import DealOut
from api.intel.partner360_schemas import EventOut, FeedbackOut, JourneyOut
from api.intel.schemas import PartnerSummaryOut

SIGNALS = ("gtm_readiness", "proven_capability", "early_traction", "field_advocacy", "behavior")


def joined(items: list[str]) -> str:
    return "; ".join(items)


class PartnerSignalsRow(BaseModel):
    partner_id: str
    name: str
    tier: int
    move: str
    classification: str
    gtm_readiness: int | None
    proven_capability: int | None
    early_traction: int | None
    field_advocacy: int | None
    behavior: int | None
    reasons: str
    next_action: str
    next_action_because: str

    @classmethod
    def of(cls, p: PartnerSummaryOut) -> PartnerSignalsRow:
        fields = p.model_dump(include={"partner_id", "name", "tier", "move", "classification"})
        return cls.model_validate(
            fields
            | {s: p.values.get(s) for s in SIGNALS}
            | dict(
                reasons=joined(p.reasons),
                next_action=p.next_action.action,
                next_action_because=p.next_action.because,
            )
        )


class DealRow(BaseModel):
    id: str
    program_id: str
    partner_id: str
    partner_name: str
    cohort_id: str | None
    account_name: str
    vendor_account_id: str | None
    ae_email: str | None
    crm_id: str | None
    source: str
    stage: str
    amount: int | None
    currency: str
    partner_role: str
    expected_close: date | None
    registered_at: datetime
    closed_at: datetime | None
    conflict: str | None
    conflicts_with: str
    attribution: str | None  # the one that counts: PM > AE > CRM > partner
    attribution_said_by: str | None
    attributions: str  # everyone who said, oldest first: "partner: sourced; ae: influenced"

    @classmethod
    def of(cls, d: DealOut) -> DealRow:
        return cls(
            **d.model_dump(include=set(cls.model_fields) - {"conflicts_with", "attribution", "attributions"}),
            conflicts_with=joined(d.conflicts_with),
            attribution=d.attribution.attribution if d.attribution else None,
            attribution_said_by=d.attribution.said_by if d.attribution else None,
            attributions=joined([f"{a.said_by}: {a.attribution}" for a in d.attributions]),
        )


class FeedbackRow(FeedbackOut):
    partner_id: str
    partner_name: str
    program_id: str
    ae_email: str
    comment: str


class TimelineRow(BaseModel):
    journey_id: str
    cohort_id: str
    cohort_name: str
    occurred_at: datetime
    kind: str
    stage: str
    step_key: str | None
    data: str  # the event's data as JSON

    @classmethod
    def of(cls, j: JourneyOut, e: EventOut) -> TimelineRow:
        data = json.dumps(e.data, sort_keys=True, ensure_ascii=False, default=str)
        return cls(
            **j.model_dump(include={"journey_id", "cohort_id", "cohort_name"}),
            **e.model_dump(exclude={"data"}),
            data=data,
        )
