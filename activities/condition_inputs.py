"""Input and result of ConditionActivities.evaluate_conditions (activities/conditions.py)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ConditionCheck(BaseModel):
    journey_id: str
    partner_id: str
    step_key: str
    expressions: list[str] = Field(min_length=1)  # the play's condition, then the step's


class ConditionOutcome(BaseModel):
    """Recorded in the journey's history: the facts read and what each condition gave on them."""

    facts: dict[str, Any]
    results: list[bool]

    @property
    def holds(self) -> bool:
        return all(self.results)
