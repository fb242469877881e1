"""Portable INSERT ... ON CONFLICT for SQLite and Postgres (both dialects support it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase


def _insert(session: AsyncSession, model: Any) -> Any:
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


async def upsert_with(
    session: AsyncSession,
    model: type[DeclarativeBase],
    values: dict[str, Any],
    keys: list[str],
    set_: Callable[[Any], dict[str, Any]],
) -> None:
    """Upsert whose update is computed from the proposed row (`excluded`) and the stored one (the model's columns)."""
    stmt = _insert(session, model).values(**values)
    await session.execute(stmt.on_conflict_do_update(index_elements=keys, set_=set_(stmt.excluded)))


async def upsert_many(
    session: AsyncSession,
    model: type[DeclarativeBase],
    rows: list[dict[str, Any]],
    key: str | list[str],
    chunk: int,
    update: list[str] | None = None,
) -> None:
    """Multi-row INSERT ... ON CONFLICT (key) DO UPDATE, `chunk` rows per statement (bind-parameter limits).
    Updates `update`, by default every column given but the id, the key and created_at."""
    if not rows:
        return
    keys = [key] if isinstance(key, str) else key
    stmt = _insert(session, model)
    update = update if update is not None else [c for c in rows[0] if c not in ("id", "created_at", *keys)]
    stmt = stmt.on_conflict_do_update(index_elements=keys, set_={c: stmt.excluded[c] for c in update})
    for start in range(0, len(rows), chunk):
        await session.execute(stmt, rows[start : start + chunk])


async def insert_ignore_many(session: AsyncSession, model: type[DeclarativeBase], rows: list[dict[str, Any]]) -> int:
    """Insert the rows that do not exist yet; how many it inserted (counted by RETURNING). One statement
    executed for all the rows: SQLAlchemy batches it into multi-row VALUES from a cached compilation,
    where building a VALUES list per chunk compiled every chunk anew (most of a large import's time)."""
    if not rows:
        return 0
    table = model.__table__  # the Core table: executemany, not the ORM's bulk insert
    stmt = _insert(session, table).on_conflict_do_nothing().returning(*table.primary_key.columns)  # type: ignore[attr-defined]
    return len((await session.execute(stmt, rows)).all())
