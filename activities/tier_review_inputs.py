"""Inputs and results of the tier review's activities (activities/tier_reviews.py)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class ReviewOpen(BaseModel):
    program_id: str
    period: str | None = None  # None: the period `now` falls in, at the program's cadence
    now: datetime


class ReviewOpened(BaseModel):
    review_id: str
    program_id: str
    period: str
    as_of: datetime  # fixed when the review is first opened: every page and every retry judge this moment
    done: bool  # the review of this period finished before: nothing to do


class ReviewPage(BaseModel):
    review_id: str
    program_id: str
    as_of: datetime
    after: str | None = None  # the last partner id of the previous page
    limit: int


class ReviewPageResult(BaseModel):
    next_after: str | None  # None: that was the last page
    reviewed: int  # partners judged by this call (a retried page judges none twice)
    moved: int  # movements this call recorded


class ReviewFinish(BaseModel):
    review_id: str
    now: datetime


class ReviewFinished(BaseModel):
    partners: int
    movements: int
    digest: str  # the PM digest's delivery: sent | unknown | ... | nothing-sent (no movement or no PM address)
