"""Creating dashboard accounts (the CLI's `users create`, and `cosell up`'s demo admin)."""

from __future__ import annotations

import re
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Program
from db.repositories import programs, users
from db.user_models import User

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class UserRefused(Exception):
    """Bad input for a new account; the message says which field and why."""


async def _program(session: AsyncSession, ref: str) -> Program:
    """A program named by id or name; a new name creates the program (cohorts join it by that name later)."""
    program = await programs.by_ref(session, ref)
    if program is None:
        program = Program(id=str(uuid.uuid4()), name=ref, pm_email="")
        session.add(program)
        await session.flush()
    return program


async def create(session: AsyncSession, email: str, name: str, role: str, program_refs: list[str]) -> User:
    email, name = email.strip(), name.strip()
    if not EMAIL.match(email) or len(email) > 320:
        raise UserRefused(f"--email: {email!r} is not an email address")
    if not name or len(name) > 200:
        raise UserRefused("--name: give the person's name (1 to 200 characters)")
    if role not in users.ROLES:
        raise UserRefused(f"--role: {role!r} must be one of {', '.join(users.ROLES)}")
    if role == "admin" and program_refs:
        raise UserRefused("--program: an admin sees every program; give programs to managers only")
    if await users.by_email(session, email) is not None:
        raise UserRefused(f"--email: a user with {users.normal_email(email)} already exists")
    program_ids = [(await _program(session, ref.strip())).id for ref in program_refs if ref.strip()]
    return await users.create(session, email, name, role, program_ids)


async def ensure_admin(session: AsyncSession, email: str, name: str) -> User:
    """The demo admin of `cosell up`: created on the first run, found on the next."""
    return await users.by_email(session, email) or await create(session, email, name, "admin", [])
