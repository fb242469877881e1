"""IntroBatchWorkflow's id, input, signals and update (an AE's answer and its receipt)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

IntroAnswerKind = Literal["accept", "decline", "not_now"]


def intro_batch_id(ae_id: str, day: str) -> str:
    """One batch workflow (and one digest email) per AE per digest day."""
    return f"intros/{ae_id}/{day}"


class IntroBatchInput(BaseModel):
    ae_id: str
    day: str  # ISO date of the digest
    send_at: datetime  # the digest goes out then, with every request that arrived before
    every_business_days: int
    max_reminders: int
    timezone: str = "UTC"
    quiet_start: str = "19:00"
    quiet_end: str = "08:00"
    link_max_age_days: int = 30  # answers are taken as long as the newest emailed link is valid


class IntroBatchAdd(BaseModel):
    request_ids: list[str]


class IntroBatchDeals(BaseModel):
    """Partner deal registrations on the AE's accounts: news in the same digest (patch "deal-news")."""

    deal_ids: list[str]


class IntroAnswer(BaseModel):
    request_id: str
    answer: IntroAnswerKind
    note: str = Field(default="", max_length=2000)


class IntroAnswerReceipt(BaseModel):
    request_id: str
    status: str
    answered_at: datetime
