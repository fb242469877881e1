"""Portable INSERT ... ON CONFLICT for SQLite and Postgres (both dialects support it)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase


def _insert(session: AsyncSession, model: type[DeclarativeBase]) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


async def insert_ignore(session: AsyncSession, model: type[DeclarativeBase], values: dict[str, Any]) -> bool:
    """Insert unless the row exists; True when this call inserted it."""
    result = await session.execute(_insert(session, model).values(**values).on_conflict_do_nothing())
    return bool(getattr(result, "rowcount", 0))


async def upsert(
    session: AsyncSession, model: type[DeclarativeBase], values: dict[str, Any], keys: list[str], update: list[str]
) -> None:
    stmt = _insert(session, model).values(**values)
    stmt = stmt.on_conflict_do_update(index_elements=keys, set_={c: stmt.excluded[c] for c in update})
    await session.execute(stmt)
