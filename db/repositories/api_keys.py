"""Users' API keys: found by the hash of the presented key, listed and revoked by prefix."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.user_models import ApiKey, User


async def add(session: AsyncSession, prefix: str, key_hash: str, user_id: str, name: str, now: datetime) -> ApiKey:
    key = ApiKey(prefix=prefix, key_hash=key_hash, user_id=user_id, name=name, created_at=now)
    session.add(key)
    await session.flush()
    return key


async def live(session: AsyncSession, key_hash: str) -> tuple[ApiKey, str] | None:
    """The unrevoked key with this hash and its owner's email; read on every request, so a revoke bites at once."""
    row = (
        await session.execute(
            select(ApiKey, User.email)
            .join(User, User.id == ApiKey.user_id)
            .where(ApiKey.key_hash == key_hash, ApiKey.revoked_at.is_(None))
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def listing(session: AsyncSession, user_id: str | None) -> list[tuple[ApiKey, str]]:
    """Keys with their owner's email, newest first; every user's when `user_id` is None."""
    stmt = select(ApiKey, User.email).join(User, User.id == ApiKey.user_id).order_by(ApiKey.created_at.desc())
    if user_id is not None:
        stmt = stmt.where(ApiKey.user_id == user_id)
    return [(k, email) for k, email in (await session.execute(stmt)).all()]


async def revoke(session: AsyncSession, prefix: str, now: datetime, user_id: str | None) -> bool:
    """Revoke a live key (only the user's own when `user_id` is given); False when there is no such live key."""
    stmt = update(ApiKey).where(ApiKey.prefix == prefix, ApiKey.revoked_at.is_(None)).values(revoked_at=now)
    if user_id is not None:
        stmt = stmt.where(ApiKey.user_id == user_id)
    result = await session.execute(stmt)
    return bool(getattr(result, "rowcount", 0))
