"""A confirmation page's form, submitted twice (a double click, a reload), does its change once.

The page's hidden key goes through the API's Idempotency-Key store, scoped to the signed-in user and the
form's route: the second submission is sent where the first was, and nothing is created twice."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from api import idempotency
from api.after_commit import AfterCommit
from api.errors import Replayed
from db.repositories.idempotency import Scope
from db.repositories.users import Viewer


async def replayed(request: Request, session: AsyncSession, viewer: Viewer, key: str) -> tuple[Scope | None, str]:
    """The form's scope (None without a key) and, for a repeat of a done form, where it went."""
    if not key:
        return None, ""
    fingerprint = await idempotency.fingerprint(request)
    scope = Scope(f"user:{viewer.email}"[:120], idempotency.operation(request), key[:200], fingerprint)
    try:
        await idempotency.check(session, scope)
    except Replayed as done:
        return scope, str(done.body.get("location", ""))
    return scope, ""


async def keep(session: AsyncSession, queue: AfterCommit, scope: Scope | None, location: str) -> None:
    if scope is not None:
        await idempotency.Idempotency(session, queue, scope).answer({"location": location}, 303)
