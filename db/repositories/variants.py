"""Journeys' experiment variants: written by the journey's activity, read by its emails and pages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.experiment_models import JourneyVariant
from db.upsert import upsert


async def save(
    session: AsyncSession,
    *,
    journey_id: str,
    cohort_id: str,
    partner_id: str,
    experiment: str,
    variant: str,
    stage: str,
    step_key: str,
    assigned_at: datetime,
) -> None:
    """The journey's assignment as the workflow holds it (the workflow is the source: a retry writes the same)."""
    values = dict(
        journey_id=journey_id,
        experiment=experiment,
        variant=variant,
        cohort_id=cohort_id,
        partner_id=partner_id,
        stage=stage,
        step_key=step_key,
        assigned_at=assigned_at,
    )
    await upsert(session, JourneyVariant, values, keys=["journey_id", "experiment"], update=["variant"])


async def of_journey(session: AsyncSession, journey_id: str) -> dict[str, str]:
    """{experiment key: variant name} of one journey."""
    rows = await session.execute(
        select(JourneyVariant.experiment, JourneyVariant.variant).where(JourneyVariant.journey_id == journey_id)
    )
    return {experiment: variant for experiment, variant in rows}
