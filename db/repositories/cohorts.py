"""Cohorts and their members."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Cohort, CohortMember

ENDED = ("closed", "cancelled")


async def set_status(session: AsyncSession, cohort_id: str, status: str, ends_at: datetime | None = None) -> None:
    """A closed or cancelled cohort stays as it is: a late projection never reopens it."""
    values: dict[str, object] = {"status": status}
    if ends_at is not None:
        values["ends_at"] = ends_at
    await session.execute(update(Cohort).where(Cohort.id == cohort_id, Cohort.status.not_in(ENDED)).values(**values))


async def active_member_ids(session: AsyncSession, cohort_id: str, after: str, limit: int) -> list[str]:
    """Members not removed, in partner-id order, the page after `after` (keyset paging)."""
    rows = await session.scalars(
        select(CohortMember.partner_id)
        .where(
            CohortMember.cohort_id == cohort_id,
            CohortMember.removed_at.is_(None),
            CohortMember.partner_id > after,
        )
        .order_by(CohortMember.partner_id)
        .limit(limit)
    )
    return list(rows)
