"""Per-user API keys and the bootstrap keys of COSELL_API_KEYS: issuing, checking, revoking, and who acted.

A key is `csk_<prefix>_<secret>`: the prefix (8 hex characters) names it in lists and in the audit log
(`key:<prefix>`); only the SHA-256 of the whole key is stored, which is enough for 32 random bytes (no
password stretching needed: nothing to guess). The bootstrap keys are for automation before any user
exists; they act as `bootstrap-key`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AuditLog
from db.repositories import api_keys, users

BOOTSTRAP_ACTOR = "bootstrap-key"
# last_used_at is written at most this often: a busy script is not a write per request.
TOUCH_EVERY = timedelta(minutes=1)
NAME_LIMIT = 100


class KeyRefused(Exception):
    """Why a key cannot be created or revoked, in words for the CLI and the page."""


@dataclass(frozen=True)
class Issued:
    prefix: str
    key: str  # shown once, never stored


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def issue(session: AsyncSession, email: str, name: str, now: datetime) -> Issued:
    user = await users.by_email(session, email)
    if user is None:
        raise KeyRefused(f"no user with email {email!r}")
    name = name.strip()
    if not name or len(name) > NAME_LIMIT:
        raise KeyRefused(f"name: give the key a name of 1 to {NAME_LIMIT} characters (what uses it)")
    prefix = secrets.token_hex(4)
    key = f"csk_{prefix}_{secrets.token_urlsafe(32)}"
    await api_keys.add(session, prefix, hash_key(key), user.id, name, now)
    detail = {"prefix": prefix, "user": user.email, "name": name}
    session.add(AuditLog(actor=actor_of(session), action="api_key_created", detail=detail))
    return Issued(prefix, key)


async def revoke(session: AsyncSession, prefix: str, now: datetime, user_id: str | None = None) -> None:
    if not await api_keys.revoke(session, prefix.strip(), now, user_id):
        raise KeyRefused(f"no live API key with prefix {prefix!r}")
    session.add(AuditLog(actor=actor_of(session), action="api_key_revoked", detail={"prefix": prefix.strip()}))


@dataclass(frozen=True)
class Principal:
    """Who a key acts as, and the programs it may reach: its user's (None: every program, for an admin's
    key and the bootstrap keys, which are for automation and documented as all-access)."""

    actor: str
    programs: frozenset[str] | None


async def actor_for(session: AsyncSession, key: str, bootstrap: list[str], now: datetime) -> Principal | None:
    """Who a presented key acts as (`key:<prefix>` or `bootstrap-key`), or None for no valid key."""
    if not key:
        return None
    for candidate in bootstrap:
        if hmac.compare_digest(key.encode(), candidate.encode()):
            return Principal(BOOTSTRAP_ACTOR, None)
    if not key.startswith("csk_"):
        return None
    found = await api_keys.live(session, hash_key(key))
    if found is None:
        return None
    row, _ = found
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
        row.last_used_at = now
    return Principal(f"key:{row.prefix}", await users.programs_of(session, row.user_id))


def set_actor(session: AsyncSession, actor: str) -> None:
    """Who acts in this request's unit of work; the services' audit rows read it back with actor_of."""
    session.info["actor"] = actor


def actor_of(session: AsyncSession) -> str:
    """ "pm" only for work outside a request (a script calling a service directly), as before keys had owners."""
    return str(session.info.get("actor", "pm"))
