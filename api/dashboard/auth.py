"""Sign-in links and sessions: who is signed in, for how long, and how they stop being signed in.

A sign-in link is a signed token (15 minutes, its own purpose salt) naming a `sign_in_links` row that
is marked used by the first sign-in, so the link works once. A session is a random cookie token of
which only the SHA-256 is stored; it ends when idle for 12 hours, 14 days after sign-in whatever the
activity, at sign-out, or at sign-out-everywhere (every session of that user).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from db.repositories import users
from db.user_models import SignInLink, User
from domain.links import SIGN_IN_MAX_AGE, LinkExpired, LinkInvalid, LinkSigner, SignInClaims
from mail.queue import Email, queue
from settings import Settings

SESSION_COOKIE = "cosell_session"
IDLE_LIMIT = timedelta(hours=12)
ABSOLUTE_LIMIT = timedelta(days=14)
# last_seen_at is written at most this often: a page view is not a write per request.
TOUCH_EVERY = timedelta(minutes=1)


class LinkRefused(Exception):
    """A sign-in link that cannot sign anyone in; `reason` is what the page tells the visitor."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def safe_next(value: str | None) -> str:
    """Only a path on this site: `//evil.example`, `/\\evil`, schemes and control characters fall back to /."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value) or len(value) > 500:
        return "/"
    parts = urlsplit(value)
    return value if not parts.scheme and not parts.netloc else "/"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def request_link(
    session: AsyncSession,
    signer: LinkSigner,
    settings: Settings,
    email: str,
    next_path: str,
    now: datetime,
    provider: str,
) -> str | None:
    """Queue a sign-in email for a known address; return its outbox id (None for an unknown address)."""
    user = await users.by_email(session, email)
    if user is None:
        return None
    link_id = secrets.token_urlsafe(24)
    await users.add_link(session, link_id, user.id, safe_next(next_path), now + SIGN_IN_MAX_AGE)
    link = f"{settings.public_base_url.rstrip('/')}/signin/{signer.sign_sign_in(SignInClaims(link_id))}"
    email_out = Email(
        kind="pm_sign_in",
        dedupe_key=f"sign-in/{link_id}",
        to_email=user.email,
        to_name=user.name,
        subject="Your cosell sign-in link",
        template="pm_sign_in",
        context={
            "program_name": settings.program_name,
            "name": user.name,
            "link": link,
            "minutes": int(SIGN_IN_MAX_AGE.total_seconds() // 60),
        },
    )
    outbox_id, _ = await queue(session, email_out, provider)
    return outbox_id


def _claims(signer: LinkSigner, token: str) -> SignInClaims:
    try:
        return signer.verify_sign_in(token)
    except LinkExpired as exc:
        raise LinkRefused("This sign-in link has expired.") from exc
    except LinkInvalid as exc:
        raise LinkRefused("This sign-in link is not valid.") from exc


async def check_link(session: AsyncSession, signer: LinkSigner, token: str, now: datetime) -> SignInLink:
    """What the confirmation page shows; nothing is used up by looking (mail scanners open links)."""
    link = await users.get_link(session, _claims(signer, token).link_id)
    if link is None:
        raise LinkRefused("This sign-in link is not valid.")
    if link.used_at is not None:
        raise LinkRefused("This sign-in link has already been used.")
    if link.expires_at <= now:
        raise LinkRefused("This sign-in link has expired.")
    return link


async def use_link(session: AsyncSession, signer: LinkSigner, token: str, now: datetime) -> tuple[str, str]:
    """Sign in: mark the link used and open a session. Returns the session's cookie token and where to go."""
    link = await check_link(session, signer, token, now)
    if await users.use_link(session, link.id, now) is None:  # a racing second click lost
        raise LinkRefused("This sign-in link has already been used.")
    token = secrets.token_urlsafe(32)
    await users.add_session(session, hash_token(token), link.user_id, now, now + ABSOLUTE_LIMIT)
    return token, link.next_path


async def signed_in(session: AsyncSession, token: str, now: datetime) -> User | None:
    if not token:
        return None
    row = await users.live_session(session, hash_token(token), now, now - IDLE_LIMIT)
    if row is None:
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    user: User | None = await session.get(User, row.user_id)
    return user


async def sign_out(session: AsyncSession, token: str, now: datetime) -> None:
    await users.revoke(session, hash_token(token), now)


async def sign_out_everywhere(session: AsyncSession, user_id: str, now: datetime) -> int:
    return await users.revoke_all(session, user_id, now)
