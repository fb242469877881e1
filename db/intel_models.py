"""The partner-intelligence tables: link-page visits and tier reviews (beside db.models; db/__init__ registers them)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models import Base, utcnow


class StepVisit(Base):
    """A partner opened a step page (a GET that is not a known mail-scanner prefetch: domain.visits).

    One row per journey, step and the partner's local day: the first visit of the day, so reloads and
    repeated scanner-like fetches add nothing and a busy page never grows the table without bound.
    """

    __tablename__ = "step_visits"
    journey_id: Mapped[str] = mapped_column(ForeignKey("journeys.id", ondelete="CASCADE"), primary_key=True)
    step_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    visited_at: Mapped[datetime] = mapped_column()


class TierReview(Base):
    """One tier review of a program for one period (a month, by default): at most one per period."""

    __tablename__ = "tier_reviews"
    __table_args__ = (UniqueConstraint("program_id", "period"),)
    id: Mapped[str] = mapped_column(String(120), primary_key=True)  # "<program id>/<period>"
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(20))  # 2026-12, 2026-W49, 2026-Q4
    as_of: Mapped[datetime] = mapped_column()  # every page of the review judges partners at this moment
    status: Mapped[str] = mapped_column(String(20), default="running")  # running | done
    partners: Mapped[int] = mapped_column(Integer, default=0)
    movements: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()


class TierMovement(Base):
    """A partner's tier changed at a review: from, to, and why. Once per (review, partner)."""

    __tablename__ = "tier_movements"
    __table_args__ = (UniqueConstraint("review_id", "partner_id"),)
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    review_id: Mapped[str] = mapped_column(ForeignKey("tier_reviews.id", ondelete="CASCADE"))
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    previous_tier: Mapped[int] = mapped_column(Integer)
    new_tier: Mapped[int] = mapped_column(Integer)
    move: Mapped[str] = mapped_column(String(20))  # promoted | demoted
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    signals: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the values the decision read
    rubric: Mapped[str] = mapped_column(String(60))
    at: Mapped[datetime] = mapped_column()


class SubmissionReview(Base):
    """The PM's latest review of a step's answer: approved, or graded 0-100 (the grade overrides the rules).

    `submitted_at` is the answer's completion time when it was reviewed: a review applies to that answer
    only, so a later revision of the step reads as not reviewed yet. A send-back records when it sent the
    answer back and, once the partner revised it, when (kept through later reviews: follow-through).
    """

    __tablename__ = "submission_reviews"
    journey_id: Mapped[str] = mapped_column(ForeignKey("journeys.id", ondelete="CASCADE"), primary_key=True)
    step_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    decision: Mapped[str] = mapped_column(String(20))  # approve | grade | send_back
    score: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(String(2000), default="")
    reviewed_by: Mapped[str] = mapped_column(String(120))
    reviewed_at: Mapped[datetime] = mapped_column()
    submitted_at: Mapped[datetime] = mapped_column()
    sent_back_at: Mapped[datetime | None] = mapped_column()
    revised_at: Mapped[datetime | None] = mapped_column()
