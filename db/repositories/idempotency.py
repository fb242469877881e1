"""PM requests kept under their Idempotency-Key: one lookup and one write for every keyed endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import IdempotencyRecord


@dataclass(frozen=True)
class Scope:
    """Who sent the key, to which operation (method, route template, path parameters), and which request."""

    principal: str
    operation: str
    key: str
    fingerprint: str


async def find(session: AsyncSession, scope: Scope) -> IdempotencyRecord | None:
    return await session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.principal == scope.principal,
            IdempotencyRecord.operation == scope.operation,
            IdempotencyRecord.key == scope.key,
        )
    )


async def keep(session: AsyncSession, scope: Scope, status_code: int, response: dict[str, Any]) -> None:
    """Store the answer in the request's transaction: it exists exactly when the request's changes do.
    Two concurrent requests with one key both get here; the unique constraint lets one commit."""
    session.add(
        IdempotencyRecord(
            principal=scope.principal,
            operation=scope.operation,
            key=scope.key,
            fingerprint=scope.fingerprint,
            status_code=status_code,
            response=response,
        )
    )
    await session.flush()


async def forget(session: AsyncSession, scope: Scope) -> None:
    """Drop a kept answer whose after-commit work failed, so the client's retry runs the request again."""
    await session.execute(
        delete(IdempotencyRecord).where(
            IdempotencyRecord.principal == scope.principal,
            IdempotencyRecord.operation == scope.operation,
            IdempotencyRecord.key == scope.key,
        )
    )
