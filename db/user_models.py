"""Program managers' accounts: who may use the dashboard, which programs they run, how they signed in.

Beside db.models (which is at its size limit); db/__init__ imports this module so Base.metadata, the
migrations check and Alembic all see these tables whichever module is imported first.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models import Base, utcnow


class User(Base):
    """`email` is stored lower-cased, so its unique index makes addresses unique case-insensitively."""

    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # admin | manager
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UserProgram(Base):
    """A manager runs these programs; an admin sees every program and needs no rows here."""

    __tablename__ = "user_programs"
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True)


class SignInLink(Base):
    """One emailed sign-in link: its signed token names this row's id; `used_at` makes it single use."""

    __tablename__ = "sign_in_links"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    next_path: Mapped[str] = mapped_column(String(500), default="/")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()


class UserSession(Base):
    """A signed-in browser. Only the SHA-256 of the cookie's token is stored: a database read leaks no session."""

    __tablename__ = "user_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()  # the absolute limit, whatever the activity
    revoked_at: Mapped[datetime | None] = mapped_column()


class ApiKey(Base):
    """A user's API key. Only the SHA-256 of the whole key is stored; `prefix` (also inside the key) names
    it in lists, the CLI and the audit log. `last_used_at` is written at most once a minute."""

    __tablename__ = "api_keys"
    prefix: Mapped[str] = mapped_column(String(16), primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
