"""The PM's review of one submitted answer: approve it, or grade it 0-100 (either overrides the rule score)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

COMMENT = Field("", max_length=2000, description="Shown with the review in the readiness explanation")


class ApproveIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"decision": "approve"}]})
    decision: Literal["approve"]
    comment: str = COMMENT


class GradeIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"decision": "grade", "score": 70, "comment": "Name the outcome's unit"}]},
    )
    decision: Literal["grade"]
    score: int = Field(ge=0, le=100, description="Replaces the rule score for this answer: points x score / 100")
    comment: str = COMMENT


ReviewIn = Annotated[ApproveIn | GradeIn, Field(discriminator="decision")]


class ReviewOut(BaseModel):
    partner_id: str
    journey_id: str
    step_key: str
    state: Literal["approved", "graded"]
    score: int | None
    comment: str
    reviewed_by: str
    reviewed_at: datetime
    submitted_at: datetime  # the answer this review applies to; a later revision reads as pending
