"""Input and result of ConditionActivities.evaluate_conditions (activities/conditions.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class ConditionCheck(BaseModel):
    journey_id: str
    partner_id: str
    step_key: str
    expressions: list[str] = Field(min_length=1)  # the play's condition, then the step's
    as_of: datetime | None = None  # the journey's clock, for signals; None: the activity's (older journeys)


class ConditionOutcome(BaseModel):
    """Recorded in the journey's history: the facts read and what each condition gave on them."""

    facts: dict[str, Any]
    results: list[bool]

    @property
    def holds(self) -> bool:
        return all(self.results)


class GateCheck(BaseModel):
    partner_id: str
    as_of: datetime  # the moment judged: the workflow's clock at the gate


class GateSignals(BaseModel):
    """Recorded in the journey's history: the partner's scores at the gate, so replay never rescores."""

    values: dict[str, int]  # gtm_readiness, proven_capability, early_traction, field_advocacy, behavior
    advocates: int  # distinct AEs who said they would invite the partner again
