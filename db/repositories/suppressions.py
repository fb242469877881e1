"""Addresses we must not email, keyed by lower-cased address. A scope only ever widens."""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Suppression, utcnow
from db.upsert import insert_ignore

ALL = "all"  # hard bounce, spam report: nothing more goes to this address
REMINDERS = "reminders"  # unsubscribed: the reminder series stops, transactional email still goes
REMINDER_KINDS = ("step_reminder",)


async def record(session: AsyncSession, email: str, scope: str, reason: str, source: str) -> bool:
    """Suppress `email`; True when this call added it or widened its scope (so the PM is told once)."""
    address = email.strip().lower()
    now = utcnow()
    values = dict(email=address, scope=scope, reason=reason, source=source, created_at=now, updated_at=now)
    if await insert_ignore(session, Suppression, values):
        return True
    if scope != ALL:
        return False
    result = await session.execute(
        update(Suppression)
        .where(Suppression.email == address, Suppression.scope != ALL)
        .values(scope=ALL, reason=reason, source=source, updated_at=now)
    )
    return bool(getattr(result, "rowcount", 0))


async def blocking(session: AsyncSession, email: str, kind: str) -> Suppression | None:
    """The suppression that forbids sending an email of `kind` to `email`, if any."""
    found = await session.get(Suppression, email.strip().lower(), populate_existing=True)
    if found is None:
        return None
    if found.scope == ALL or kind in REMINDER_KINDS:
        return found
    return None


async def get(session: AsyncSession, email: str) -> Suppression | None:
    return await session.get(Suppression, email.strip().lower(), populate_existing=True)


async def lift(session: AsyncSession, email: str) -> None:
    """The PM restored the address (with a reason, audited by the caller): email may go to it again."""
    await session.execute(delete(Suppression).where(Suppression.email == email.strip().lower()))


async def of(session: AsyncSession, emails: list[str]) -> dict[str, Suppression]:
    rows = await session.scalars(select(Suppression).where(Suppression.email.in_([e.lower() for e in emails])))
    return {row.email: row for row in rows}
