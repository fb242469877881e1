"""Programs: a vendor's partner programs, each with its PM address and feedback cadence."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Program


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
