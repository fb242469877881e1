"""What the Audit log page lists: who did what and when, newest first, filtered, a page at a time.

An entry belongs to a program through its cohort (cohort actions) or the program id in its detail
(program, rubric and tier-review actions); a manager sees only entries of their programs.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AuditLog, Cohort


@dataclass(frozen=True)
class AuditFilters:
    actor: str = ""  # a part of the actor, any case: "ann@" finds user:ann@a.example
    action: str = ""
    since: datetime | None = None
    until: datetime | None = None  # exclusive


async def entries(
    session: AsyncSession,
    program_ids: Collection[str] | None,
    filters: AuditFilters,
    before_id: int | None,
    limit: int,
) -> list[AuditLog]:
    """Newest first, ids below `before_id` (the previous page's last), at most `limit`."""
    query = select(AuditLog).order_by(AuditLog.id.desc()).limit(limit)
    if program_ids is not None:
        cohorts = select(Cohort.id).where(Cohort.program_id.in_(list(program_ids)))
        query = query.where(
            or_(AuditLog.cohort_id.in_(cohorts), AuditLog.detail["program_id"].as_string().in_(list(program_ids)))
        )
    if filters.actor:
        query = query.where(AuditLog.actor.ilike(f"%{filters.actor}%"))
    if filters.action:
        query = query.where(AuditLog.action == filters.action)
    if filters.since is not None:
        query = query.where(AuditLog.at >= filters.since)
    if filters.until is not None:
        query = query.where(AuditLog.at < filters.until)
    if before_id is not None:
        query = query.where(AuditLog.id < before_id)
    return list(await session.scalars(query))


async def actions(session: AsyncSession) -> list[str]:
    return list(await session.scalars(select(AuditLog.action).distinct().order_by(AuditLog.action)))
