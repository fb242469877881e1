"""Co-sell metrics, each number with the deals (or counts) it came from."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class Count(BaseModel):
    count: int
    deal_ids: list[str]


class Rate(BaseModel):
    value: float | None = Field(description="numerator / denominator, rounded to 3 places; null when nothing to divide")
    numerator: int
    denominator: int


class DealMetrics(BaseModel):
    registered: Count = Field(description="Every deal registered (by the partner, the PM or the CRM)")
    accepted: Count = Field(description="Deals the vendor accepted, whatever happened next (open, won, lost)")
    rejected: Count
    open: Count = Field(description="Accepted or open: the live pipeline")
    won: Count
    lost: Count
    win_rate: Rate = Field(description="won / (won + lost)")
    pipeline_amount: dict[str, int] = Field(description="Amount of the live pipeline by currency")
    won_amount: dict[str, int]
    attribution: dict[str, Count] = Field(
        description="Deals by the attribution that counts (PM > AE > CRM > partner): sourced, influenced, ..."
    )


class FeedbackMetrics(BaseModel):
    requested: int = Field(description="Feedback requests sent to AEs about these deals (any status)")
    submitted: int
    expired: int
    pending: int
    response_rate: Rate = Field(description="submitted / requested; expired and pending count as not answered")
    ae_referrals: Count = Field(description="Answers 'yes, I would invite this partner into another deal'")
    avg_role_clarity: float | None
    avg_responsiveness: float | None


class FirstDeal(BaseModel):
    days: float = Field(description="Days from the window's start to the first registration")
    cohort_id: str
    window_start: datetime
    deal_id: str
    registered_at: datetime


class Metrics(BaseModel):
    scope: dict[str, str | None]
    deals: DealMetrics
    feedback: FeedbackMetrics
    time_to_first_deal: FirstDeal | None = Field(
        description="Partner: in the earliest window with a deal; null when the partner registered none"
    )


class PartnerLine(BaseModel):
    partner_id: str
    name: str
    registered: int
    won: int
    time_to_first_deal: FirstDeal | None


class CohortMetrics(Metrics):
    partners: list[PartnerLine]
    partners_with_deal: int
    median_days_to_first_deal: float | None
