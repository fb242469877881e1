"""Program managers, the programs they run, their sign-in links and their sessions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Program
from db.user_models import SignInLink, User, UserProgram, UserSession

ROLES = ("admin", "manager")


def normal_email(email: str) -> str:
    """Addresses compare case-insensitively: stored and looked up lower-cased."""
    return email.strip().lower()


@dataclass(frozen=True)
class Viewer:
    """Who is looking, and which programs they may see (None: every program, for an admin). Plain values,
    not the ORM row: error pages render it after the request's transaction has rolled back."""

    user_id: str
    email: str
    name: str
    role: str
    program_ids: frozenset[str] | None

    def sees(self, program_id: str) -> bool:
        return self.program_ids is None or program_id in self.program_ids


async def by_email(session: AsyncSession, email: str) -> User | None:
    user: User | None = await session.scalar(select(User).where(User.email == normal_email(email)))
    return user


async def create(session: AsyncSession, email: str, name: str, role: str, program_ids: list[str]) -> User:
    user = User(id=str(uuid.uuid4()), email=normal_email(email), name=name, role=role)
    session.add(user)
    await session.flush()
    for program_id in dict.fromkeys(program_ids):
        session.add(UserProgram(user_id=user.id, program_id=program_id))
    await session.flush()
    return user


async def program_ids(session: AsyncSession, user_id: str) -> list[str]:
    rows = await session.scalars(select(UserProgram.program_id).where(UserProgram.user_id == user_id))
    return list(rows)


async def programs_of(session: AsyncSession, user_id: str) -> frozenset[str] | None:
    """The programs a user may see and change: None (every program) for an admin."""
    role = await session.scalar(select(User.role).where(User.id == user_id))
    return None if role == "admin" else frozenset(await program_ids(session, user_id))


async def viewer(session: AsyncSession, user: User) -> Viewer:
    programs = None if user.role == "admin" else frozenset(await program_ids(session, user.id))
    return Viewer(user.id, user.email, user.name, user.role, programs)


async def visible_programs(session: AsyncSession, who: Viewer) -> list[Program]:
    stmt = select(Program).order_by(Program.name)
    if who.program_ids is not None:
        stmt = stmt.where(Program.id.in_(who.program_ids))
    return list(await session.scalars(stmt))


async def add_link(session: AsyncSession, link_id: str, user_id: str, next_path: str, expires_at: datetime) -> None:
    session.add(SignInLink(id=link_id, user_id=user_id, next_path=next_path, expires_at=expires_at))
    await session.flush()


async def use_link(session: AsyncSession, link_id: str, now: datetime) -> SignInLink | None:
    """Mark the link used, once: a conditional update, so two racing clicks cannot both sign in."""
    result = await session.execute(
        update(SignInLink)
        .where(SignInLink.id == link_id, SignInLink.used_at.is_(None), SignInLink.expires_at > now)
        .values(used_at=now)
    )
    if not getattr(result, "rowcount", 0):
        return None
    link: SignInLink | None = await session.get(SignInLink, link_id)
    return link


async def get_link(session: AsyncSession, link_id: str) -> SignInLink | None:
    link: SignInLink | None = await session.get(SignInLink, link_id)
    return link


async def add_session(
    session: AsyncSession, token_hash: str, user_id: str, now: datetime, expires_at: datetime
) -> None:
    session.add(
        UserSession(token_hash=token_hash, user_id=user_id, created_at=now, last_seen_at=now, expires_at=expires_at)
    )
    await session.flush()


async def live_session(
    session: AsyncSession, token_hash: str, now: datetime, idle_since: datetime
) -> UserSession | None:
    """The session if it is neither revoked, past its absolute expiry, nor idle since before `idle_since`."""
    row: UserSession | None = await session.scalar(
        select(UserSession).where(
            UserSession.token_hash == token_hash,
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > now,
            UserSession.last_seen_at > idle_since,
        )
    )
    return row


async def revoke(session: AsyncSession, token_hash: str, now: datetime) -> None:
    await session.execute(
        update(UserSession)
        .where(UserSession.token_hash == token_hash, UserSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def revoke_all(session: AsyncSession, user_id: str, now: datetime) -> int:
    result = await session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(getattr(result, "rowcount", 0))
