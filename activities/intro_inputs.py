"""Inputs and results of the IntroActivities (activities/intros.py): what workflows hand them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from workflows.intro_batch.messages import IntroAnswerKind

IntroMailKind = Literal["digest", "reminder", "escalation", "answered"]
INTRO_ANSWER_STATUS: dict[str, str] = {"accept": "accepted", "decline": "declined", "not_now": "not_now"}


class RequestIntros(BaseModel):
    """A completed ae_intro_request step: write the requests and hand them to the owner AEs' batches."""

    journey_id: str
    cohort_id: str
    partner_id: str
    step_key: str
    accounts: list[str]
    reason: str
    requested_at: datetime


class IntrosRequested(BaseModel):
    request_ids: list[str]
    skipped: list[str] = Field(default_factory=list)  # accounts no longer in the partner's overlap


class IntroMail(BaseModel):
    """One email of an AE's batch: the digest (n = 0; 1.. for late arrivals) with its intro requests and
    deal registrations, a reminder (n = 1..), the PM escalation, or the partner's "the AE answered" for one
    request."""

    ae_id: str
    day: str
    kind: IntroMailKind
    n: int
    request_ids: list[str]
    occurred_at: datetime
    deal_ids: list[str] = Field(default_factory=list)  # partner deal registrations the digest carries


class RecordIntroAnswer(BaseModel):
    ae_id: str
    request_id: str
    answer: IntroAnswerKind
    note: str = ""
    answered_at: datetime
