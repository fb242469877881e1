"""Partners and their contacts."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, String, cast, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Cohort, CohortMember, Partner, PartnerContact, Program
from db.upsert import upsert_many
from db.user_models import User


async def primary_contact(session: AsyncSession, partner_id: str) -> PartnerContact | None:
    """Who a partner's emails go to: the primary contact, else the first one added (the lowest id)."""
    return await session.scalar(
        select(PartnerContact)
        .where(PartnerContact.partner_id == partner_id)
        .order_by(PartnerContact.is_primary.desc(), PartnerContact.id)
        .limit(1)
    )


async def alert_address(session: AsyncSession, partner: Partner, program: Program | None) -> str:
    """Where alerts about a partner go: its owner (the partner manager responsible), else the program's PM."""
    if partner.owner_user_id is not None:
        owner = await session.get(User, partner.owner_user_id)
        if owner is not None:
            return owner.email
    return program.pm_email if program is not None else ""


async def owners_by_label(session: AsyncSession) -> dict[str, str]:
    """Every user by email and by name (case-folded, spaces collapsed): how an import names a partner's owner."""
    owners: dict[str, str] = {}
    for user_id, email, name in await session.execute(select(User.id, User.email, User.name).order_by(User.email)):
        owners.setdefault(email.casefold(), user_id)
        owners.setdefault(" ".join(name.split()).casefold(), user_id)
    return owners


async def by_external_id(session: AsyncSession, external_id: str) -> Partner | None:
    return await session.scalar(select(Partner).where(Partner.external_id == external_id))


async def contacts_by_email(session: AsyncSession, partner_id: str) -> dict[str, PartnerContact]:
    rows = await session.scalars(select(PartnerContact).where(PartnerContact.partner_id == partner_id))
    return {contact.email: contact for contact in rows}


async def names(session: AsyncSession, partner_ids: set[str]) -> dict[str, str]:
    rows = await session.execute(select(Partner.id, Partner.name).where(Partner.id.in_(partner_ids)))
    return {partner_id: name for partner_id, name in rows}


def _like(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, with LIKE's own wildcards taken literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


@dataclass(frozen=True)
class DirectoryFilter:
    q: str | None = None
    type: str | None = None
    vertical: str | None = None
    region: str | None = None
    tier: int | None = None
    # The programs the caller may see (None: every partner); see in_programs.
    programs: Collection[str] | None = None


def in_programs(program_ids: Collection[str]) -> Select[str]:
    """Ids of the partners ever in a cohort of these programs: those a manager's key sees, by the rule the
    dashboard's partner page uses (db/views/dashboard.programs_of_partner)."""
    return (
        select(CohortMember.partner_id)
        .join(Cohort, Cohort.id == CohortMember.cohort_id)
        .where(Cohort.program_id.in_(list(program_ids)))
    )


def _directory_where(f: DirectoryFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if f.q:
        where.append(Partner.name.ilike(_like(f.q), escape="\\"))
    if f.type:
        where.append(Partner.type == f.type)
    if f.vertical:  # verticals is a JSON list: match the quoted element in its text form (SQLite and Postgres)
        where.append(cast(Partner.verticals, String).ilike(_like(f'"{f.vertical}"'), escape="\\"))
    if f.region:
        where.append(func.lower(Partner.region) == f.region.lower())
    if f.tier is not None:
        where.append(Partner.tier == f.tier)
    if f.programs is not None:
        where.append(Partner.id.in_(in_programs(f.programs)))
    return where


async def directory(session: AsyncSession, f: DirectoryFilter, limit: int, offset: int) -> tuple[int, list[Partner]]:
    """(how many match, one page of them by name)."""
    where = _directory_where(f)
    total = await session.scalar(select(func.count()).select_from(Partner).where(*where)) or 0
    rows = await session.scalars(
        select(Partner).where(*where).order_by(Partner.name, Partner.id).limit(limit).offset(offset)
    )
    return total, list(rows)


async def contacts(session: AsyncSession, partner_id: str) -> list[PartnerContact]:
    """Primary first, then in the order they were added."""
    rows = await session.scalars(
        select(PartnerContact)
        .where(PartnerContact.partner_id == partner_id)
        .order_by(PartnerContact.is_primary.desc(), PartnerContact.id)
    )
    return list(rows)


async def contact(session: AsyncSession, partner_id: str, contact_id: int) -> PartnerContact | None:
    return await session.scalar(
        select(PartnerContact).where(PartnerContact.partner_id == partner_id, PartnerContact.id == contact_id)
    )


async def make_primary(session: AsyncSession, partner_id: str, contact_id: int) -> None:
    """Exactly one primary contact per partner."""
    await session.execute(
        update(PartnerContact)
        .where(PartnerContact.partner_id == partner_id)
        .values(is_primary=PartnerContact.id == contact_id)
    )


# --- imports: one lookup and one multi-row statement per chunk ------------------------------------

_CHUNK = 500  # rows per statement: below SQLite's and asyncpg's bind-parameter limits


async def upsert_partners(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert or update partners by external id (the unique key decides, so concurrent imports never duplicate)."""
    await upsert_many(session, Partner, rows, "external_id", _CHUNK)


async def upsert_contacts(session: AsyncSession, contacts: Sequence[tuple[str, dict[str, str]]]) -> set[str]:
    """Add each (partner id, {email, name}) or rename it; a partner's first contact becomes its primary.
    Returns the partners whose contacts changed."""
    partner_ids = list({pid for pid, _ in contacts})
    have: dict[tuple[str, str], str] = {}
    has_any: set[str] = set()
    for start in range(0, len(partner_ids), _CHUNK):
        rows = await session.execute(
            select(PartnerContact.partner_id, PartnerContact.email, PartnerContact.name).where(
                PartnerContact.partner_id.in_(partner_ids[start : start + _CHUNK])
            )
        )
        for pid, email, name in rows:
            have[(pid, email)] = name
            has_any.add(pid)
    writes, changed = [], set()
    for pid, contact in contacts:
        if have.get((pid, contact["email"])) == contact["name"]:
            continue
        writes.append({"partner_id": pid, **contact, "role": "", "is_primary": pid not in has_any})
        has_any.add(pid)
        changed.add(pid)
    await upsert_many(session, PartnerContact, writes, ["partner_id", "email"], _CHUNK, update=["name"])
    return changed
