"""Link-page visits: written by the step page (a GET), read as behavior facts (partner_facts)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.intel_models import StepVisit
from db.upsert import insert_ignore


async def record(
    session: AsyncSession, journey_id: str, step_key: str, partner_id: str, day: date, at: datetime
) -> bool:
    """The first visit of the partner's day is kept; True when this one was."""
    values = dict(journey_id=journey_id, step_key=step_key, day=day, partner_id=partner_id, visited_at=at)
    return await insert_ignore(session, StepVisit, values)


async def first_visits(session: AsyncSession, journey_ids: Sequence[str]) -> dict[tuple[str, str], datetime]:
    """The earliest visit per (journey, step)."""
    rows = await session.execute(
        select(StepVisit.journey_id, StepVisit.step_key, func.min(StepVisit.visited_at))
        .where(StepVisit.journey_id.in_(list(journey_ids)))
        .group_by(StepVisit.journey_id, StepVisit.step_key)
    )
    return {(j, s): at for j, s, at in rows if at is not None}
