"""The PM's review of one submitted answer: approve it, or grade it 0-100 (either overrides the rule score)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.fields import NOT_BLANK, Plain


class ReviewIn(BaseModel):
    """One model, not a union tagged by `decision`: an unknown decision is then a 422 at `decision`, and a
    grade without a score one at `score` (a tagged union names neither)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"decision": "approve"},
                {"decision": "grade", "score": 70, "comment": "Name the unit"},
                {"decision": "send_back", "comment": "Name a customer and the outcome in numbers"},
            ],
            # api/intel/reviews.py's rules, stated in the schema: a grade has a score, the others none,
            # and a send-back a comment (it is emailed to the partner).
            "anyOf": [
                {"properties": {"decision": {"const": "approve"}, "score": {"type": "null"}}},
                {"properties": {"decision": {"const": "grade"}, "score": {"type": "integer"}}, "required": ["score"]},
                {
                    "properties": {
                        "decision": {"const": "send_back"},
                        "score": {"type": "null"},
                        "comment": {"type": "string", "pattern": NOT_BLANK},
                    },
                    "required": ["comment"],
                },
            ],
        },
    )
    decision: Literal["approve", "grade", "send_back"] = Field(
        description="send_back reopens the step in the partner's journey and emails the comment with a fresh link"
    )
    score: int | None = Field(
        None, ge=0, le=100, description="A grade's score: replaces the rule score (points x score / 100)"
    )
    comment: str = Plain(
        "", max_length=2000, description="Shown on the Partner 360; a send-back's (required) is emailed to the partner"
    )


class ReviewOut(BaseModel):
    partner_id: str
    journey_id: str
    step_key: str
    state: Literal["approved", "graded", "sent_back"]
    score: int | None
    comment: str
    reviewed_by: str
    reviewed_at: datetime
    submitted_at: datetime  # the answer this review applies to; a later revision reads as pending
    revision_due_at: datetime | None = None  # a send-back: when the reopened step is due
