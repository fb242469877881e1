"""Which variant of each playbook experiment a journey was given (written once by the journey's activity,
read by its emails and pages and by the cohort's experiment report). Beside db.models; db/__init__
registers it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models import Base


class JourneyVariant(Base):
    __tablename__ = "journey_variants"
    # The report groups a cohort's journeys by experiment and variant.
    __table_args__ = (Index("ix_journey_variants_cohort_experiment", "cohort_id", "experiment", "variant"),)
    journey_id: Mapped[str] = mapped_column(ForeignKey("journeys.id", ondelete="CASCADE"), primary_key=True)
    experiment: Mapped[str] = mapped_column(String(64), primary_key=True)
    variant: Mapped[str] = mapped_column(String(64))
    cohort_id: Mapped[str] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"))
    stage: Mapped[str] = mapped_column(String(20))
    step_key: Mapped[str] = mapped_column(String(64))  # where the partner met the experiment first
    assigned_at: Mapped[datetime] = mapped_column()
