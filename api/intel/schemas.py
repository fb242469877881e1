"""What the API says about a partner's signals: every number with the facts that produced it."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ItemOut(Out):
    points: float
    reason: str
    source: str
    at: datetime | None = None


class ScoreOut(Out):
    name: str
    value: int
    items: list[ItemOut]


class GapOut(BaseModel):
    signal: str
    value: int
    min: int
    action: str


class TierOut(BaseModel):
    tier: int
    name: str
    previous: int
    move: Literal["promoted", "demoted", "held", "kept"]
    reasons: list[str]
    next_tier: int | None
    needed: list[GapOut]
    rubric: str


class ClassificationOut(BaseModel):
    label: Literal["on_track", "not_yet", "at_risk", "not_now"]
    reasons: list[str]


class ActionOut(Out):
    action: str
    because: str
    source: str


class SignalsOut(BaseModel):
    """A partner judged at `as_of`; each score's value is the rounded sum of its items' points."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "partner_id": "3f6c...",
                    "as_of": "2026-11-18T09:00:00Z",
                    "signals": [
                        {
                            "name": "gtm_readiness",
                            "value": 20,
                            "items": [
                                {
                                    "points": 6.67,
                                    "reason": "ICP names a buyer role ('vp')",
                                    "source": "step icp-profile",
                                    "at": "2026-09-09T09:00:00Z",
                                }
                            ],
                        }
                    ],
                    "tier": {"tier": 3, "name": "Baseline", "move": "kept"},
                    "classification": {"label": "at_risk", "reasons": ["behavior 42"]},
                    "next_action": {
                        "action": "Request an intro on Contoso Health",
                        "because": "1 overlapping account, no intro requested",
                        "source": "account matches",
                    },
                }
            ]
        }
    )

    partner_id: str
    as_of: datetime
    signals: list[ScoreOut]  # gtm_readiness, proven_capability, early_traction, field_advocacy
    behavior: ScoreOut
    trust: ScoreOut | None  # None until an AE has given feedback
    tier: TierOut
    classification: ClassificationOut
    next_action: ActionOut


class PartnerSummaryOut(BaseModel):
    partner_id: str
    name: str
    values: dict[str, int]  # the four signals and behavior
    tier: int
    move: Literal["promoted", "demoted", "held", "kept"]
    classification: Literal["on_track", "not_yet", "at_risk", "not_now"]
    reasons: list[str]
    next_action: ActionOut


class TodayItemOut(Out):
    kind: str
    partner_id: str
    partner_name: str
    reason: str
    action: str
    link: str
    since: datetime
    impact: int
    urgency: int
    rank: int


class CohortIntelligenceOut(BaseModel):
    """Every partner of a cohort judged at `as_of`, and what needs the PM today, ranked impact x urgency."""

    cohort_id: str
    as_of: datetime
    partners: list[PartnerSummaryOut]
    today: list[TodayItemOut]
