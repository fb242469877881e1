"""Programs: a vendor's partner programs, each with its PM address and feedback cadence."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Cohort, CohortMember, Program


async def by_ref(session: AsyncSession, ref: str) -> Program | None:
    """A program named by its id or its name."""
    return await session.scalar(select(Program).where(or_(Program.id == ref, Program.name == ref)))


async def by_name(session: AsyncSession, name: str) -> Program | None:
    return await session.scalar(select(Program).where(Program.name == name))


async def all_by_name(session: AsyncSession, include_archived: bool = True) -> list[Program]:
    query = select(Program).order_by(Program.name)
    if not include_archived:
        query = query.where(Program.archived_at.is_(None))
    return list(await session.scalars(query))


async def rubric_of_cohort(session: AsyncSession, cohort_id: str) -> str | None:
    """The tier rubric override of the cohort's program (None: the default rubric)."""
    return await session.scalar(
        select(Program.tier_rubric).join(Cohort, Cohort.program_id == Program.id).where(Cohort.id == cohort_id)
    )


async def rubric_of_partner(session: AsyncSession, partner_id: str) -> str | None:
    """The override of the program of the partner's latest cohort, which its tier reviews judge it by."""
    return await session.scalar(
        select(Program.tier_rubric)
        .join(Cohort, Cohort.program_id == Program.id)
        .join(CohortMember, CohortMember.cohort_id == Cohort.id)
        .where(CohortMember.partner_id == partner_id)
        .order_by(Cohort.starts_at.desc())
        .limit(1)
    )
