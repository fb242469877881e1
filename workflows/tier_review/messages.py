"""TierReviewWorkflow's id, input and result."""

from __future__ import annotations

from pydantic import BaseModel

PAGE_SIZE = 500  # partners per activity: one load and one write transaction each
PAGES_PER_RUN = 20  # then continue-as-new: 40,000 partners stay a few hundred events per run


def tier_review_workflow_id(program_id: str, period: str) -> str:
    return f"tier-review/{program_id}/{period}"


def tier_schedule_id(program_id: str) -> str:
    return f"tier-review/{program_id}"


class ReviewTotals(BaseModel):
    pages: int = 0
    reviewed: int = 0
    moved: int = 0


class TierReviewInput(BaseModel):
    program_id: str
    period: str | None = None  # None (the schedule): the period the run starts in, at the program's cadence
    page_size: int = PAGE_SIZE
    pages_per_run: int = PAGES_PER_RUN
    # Carried across continue-as-new:
    review_id: str | None = None
    as_of: str | None = None  # ISO 8601; the review's fixed moment
    after: str | None = None
    totals: ReviewTotals = ReviewTotals()


class TierReviewResult(BaseModel):
    review_id: str
    period: str
    already_done: bool  # the period had been reviewed: nothing recorded
    reviewed: int  # partners judged by this run (and its continued runs)
    moved: int
    digest: str
