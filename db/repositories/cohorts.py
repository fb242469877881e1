"""Cohorts and their members."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Cohort, CohortMember, Partner
from db.repositories import webhooks

ENDED = ("closed", "cancelled")


async def set_status(
    session: AsyncSession,
    cohort_id: str,
    status: str,
    ends_at: datetime | None = None,
    starts_at: datetime | None = None,
) -> None:
    """A closed or cancelled cohort stays as it is: a late projection never reopens it."""
    values: dict[str, object] = {"status": status}
    if ends_at is not None:
        values["ends_at"] = ends_at
    if starts_at is not None:
        values["starts_at"] = starts_at
    result = await session.execute(
        update(Cohort).where(Cohort.id == cohort_id, Cohort.status.not_in(ENDED)).values(**values)
    )
    if getattr(result, "rowcount", 0) and (cohort := await session.get(Cohort, cohort_id)) is not None:
        await webhooks.emit_window(session, cohort, status, datetime.now(UTC))


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


async def member_count(session: AsyncSession, cohort_id: str) -> int:
    count = await session.scalar(
        select(func.count()).where(CohortMember.cohort_id == cohort_id, CohortMember.removed_at.is_(None))
    )
    return count or 0


async def active_members(session: AsyncSession, cohort_id: str) -> list[Partner]:
    """The partners still in the cohort, by name."""
    rows = await session.scalars(
        select(Partner)
        .join(CohortMember, CohortMember.partner_id == Partner.id)
        .where(CohortMember.cohort_id == cohort_id, CohortMember.removed_at.is_(None))
        .order_by(Partner.name, Partner.id)
    )
    return list(rows)


async def remove_member(session: AsyncSession, cohort_id: str, partner_id: str, at: datetime) -> bool:
    """False when the partner is not an active member (never added, or removed before)."""
    result = await session.execute(
        update(CohortMember)
        .where(
            CohortMember.cohort_id == cohort_id,
            CohortMember.partner_id == partner_id,
            CohortMember.removed_at.is_(None),
        )
        .values(removed_at=at)
    )
    return bool(getattr(result, "rowcount", 0))


async def of_partner(session: AsyncSession, partner_id: str) -> list[Cohort]:
    """Every cohort the partner was ever added to, oldest window first."""
    rows = await session.scalars(
        select(Cohort)
        .join(CohortMember, CohortMember.cohort_id == Cohort.id)
        .where(CohortMember.partner_id == partner_id)
        .order_by(Cohort.starts_at, Cohort.id)
    )
    return list(rows)


async def listing(
    session: AsyncSession,
    program_id: str | None,
    status: str | None,
    starts_from: datetime | None,
    starts_before: datetime | None,
    limit: int,
    program_ids: Collection[str] | None = None,
) -> list[Cohort]:
    """Cohorts, newest window first, filtered by program, status and when they start; only those of
    `program_ids` when given (what an API key may see)."""
    query = select(Cohort).order_by(Cohort.starts_at.desc(), Cohort.id).limit(limit)
    if program_ids is not None:
        query = query.where(Cohort.program_id.in_(list(program_ids)))
    if program_id is not None:
        query = query.where(Cohort.program_id == program_id)
    if status is not None:
        query = query.where(Cohort.status == status)
    if starts_from is not None:
        query = query.where(Cohort.starts_at >= starts_from)
    if starts_before is not None:
        query = query.where(Cohort.starts_at < starts_before)
    return list(await session.scalars(query))


async def member_counts(session: AsyncSession, cohort_ids: list[str]) -> dict[str, int]:
    rows = await session.execute(
        select(CohortMember.cohort_id, func.count())
        .where(CohortMember.cohort_id.in_(cohort_ids), CohortMember.removed_at.is_(None))
        .group_by(CohortMember.cohort_id)
    )
    return {cohort_id: count for cohort_id, count in rows}
