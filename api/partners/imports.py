"""Partner import from a CRM or PartnerStack export: upsert by external id, whole file or nothing.

The file streams through the shared CSV reader; rows are checked as they come and written a chunk at a
time with one lookup and one multi-row upsert per chunk (partners, then their contacts), so 100,000
rows never mean 100,000 queries. A manager's key (`allowed`: its programs) creates partners and updates
those in its programs or in none yet; a row naming a partner only other programs have is a problem of its
line, so a file touching one writes nothing. Any problem (or a file-level error) raises ImportRejected after the
whole file was read, and the caller's rollback undoes the chunks already written. A column the file
does not have leaves that field of an existing partner as it is.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from sqlalchemy.ext.asyncio import AsyncSession

from api import key_scope
from api.accounts.formats import columns_for
from api.accounts.service import ImportResult, audit_import, file_error, reject_if_problems
from api.fields import EMAIL, time_zones
from api.partners import import_formats as fmts
from api.partners.import_formats import PartnerFormat
from db.models import Partner
from db.repositories import accounts as account_repo
from db.repositories import partners as repo
from domain.csv_import import CsvFileError, RowProblem, read_csv
from domain.public_holidays import normalize_country

PARTNER_MAX_ROWS = 100_000
_CHUNK = 1000
_FIELDS = ("name", "type", "verticals", "region", "country", "timezone", "tier", "owner_user_id")
_LIMITS = {"external_id": 120, "name": 200, "region": 60, "contact_name": 200, "contact_email": 320}


@dataclass
class _Row:
    line: int
    values: dict[str, Any]  # the partner fields this file sets
    contact: dict[str, str] | None


@dataclass
class _Import:
    headers: dict[str, str]
    result: ImportResult
    owners: dict[str, str]  # a user's email or name, case-folded -> user id
    allowed: frozenset[str] | None = None  # the key's programs; None: every program
    pending: list[_Row] = field(default_factory=list)
    seen: dict[str, int] = field(default_factory=dict)

    def problem(self, line: int, key: str, message: str) -> None:
        self.result.problems.append(RowProblem(line, self.headers.get(key, key), message))


async def import_partners(
    session: AsyncSession,
    stream: BinaryIO,
    fmt: PartnerFormat = PartnerFormat.auto,
    mapping: Mapping[str, str] | None = None,
    *,
    actor: str | None = None,
    filename: str = "",
    allowed: frozenset[str] | None = None,
) -> ImportResult:
    """Partners (and each row's contact) from a Salesforce, HubSpot or PartnerStack export, by external id."""
    result = ImportResult(kind="partners", source="mapped" if mapping else fmt.value)
    await _read(session, stream, fmt, mapping, _Import({}, result, {}, allowed=allowed), _flush, PARTNER_MAX_ROWS)
    reject_if_problems("partners", result.problems)
    await audit_import(session, actor, "partners.import", result, filename)
    return result


@dataclass(frozen=True)
class FileRow:
    line: int
    partner: dict[str, Any]  # every partner field: the file's, else the existing partner's, else the defaults
    contact: dict[str, str] | None


@dataclass
class Read:
    rows: list[FileRow]
    problems: list[RowProblem]
    headers: dict[str, str]  # field -> the file's header for it


async def read_partners(
    session: AsyncSession, stream: BinaryIO, allowed: frozenset[str] | None, max_rows: int = PARTNER_MAX_ROWS
) -> Read:
    """The file as the import reads it (the same checks and problems, `allowed` as for a key), written
    nowhere: for a caller that does something else with the partners (a new cohort from the dashboard)."""
    found: list[FileRow] = []

    async def keep(session: AsyncSession, state: _Import) -> None:
        chunk, state.pending = state.pending, []
        found.extend(
            FileRow(row.line, merged, row.contact) for row, merged, _ in await _resolved(session, state, chunk)
        )

    state = _Import({}, ImportResult(kind="partners", source="auto"), {}, allowed=allowed)
    await _read(session, stream, PartnerFormat.auto, None, state, keep, max_rows)
    return Read(found, state.result.problems, state.headers)


Sink = Callable[[AsyncSession, "_Import"], Awaitable[None]]


async def _read(
    session: AsyncSession,
    stream: BinaryIO,
    fmt: PartnerFormat,
    mapping: Mapping[str, str] | None,
    state: _Import,
    sink: Sink,
    max_rows: int,
) -> None:
    """Check each row as the file streams; hand the checked rows to `sink` a chunk at a time."""
    try:
        rows = read_csv(stream, columns_for(fmts.ALIASES, fmts.REQUIRED, fmt), mapping, max_rows=max_rows)
        state.headers, state.owners = rows.headers, await repo.owners_by_label(session)
        for item in rows:
            if isinstance(item, RowProblem):
                state.result.problems.append(item)
                continue
            row = _checked(state, *item)
            if row is not None:
                state.pending.append(row)
            if len(state.pending) >= _CHUNK:
                await sink(session, state)
    except CsvFileError as exc:
        raise file_error(exc) from exc
    await sink(session, state)


def _checked(state: _Import, line: int, row: dict[str, str]) -> _Row | None:
    """The row's partner fields (only the columns the file has), or None after recording its problems."""
    before = len(state.result.problems)
    for key, limit in _LIMITS.items():
        if len(row[key]) > limit:
            state.problem(line, key, f"longer than {limit} characters")
    if not row["external_id"]:
        state.problem(line, "external_id", "no partner id")
    elif (first := state.seen.setdefault(row["external_id"], line)) != line:
        state.problem(line, "external_id", f"same partner as line {first}")
    if not row["name"]:
        state.problem(line, "name", "no partner name")
    values: dict[str, Any] = {"name": row["name"]}
    has = state.headers
    if "type" in has and row["type"]:
        values["type"] = fmts.partner_type(row["type"])
        if values["type"] is None:
            state.problem(line, "type", f"not a partner type: {row['type']!r}; use one of {fmts.type_words()}")
    if "verticals" in has:
        values["verticals"] = fmts.verticals(row["verticals"])
        if len(values["verticals"]) > 20 or any(len(v) > 120 for v in values["verticals"]):
            state.problem(line, "verticals", "at most 20 verticals of at most 120 characters each")
    if "region" in has:
        values["region"] = row["region"]
    if "country" in has or "region" in has:
        values["country"] = normalize_country(row["country"]) or normalize_country(row["region"])
        if row["country"] and normalize_country(row["country"]) is None:
            state.problem(line, "country", f"unknown country {row['country']!r}; use an ISO 3166-1 code like US")
    if "timezone" in has and row["timezone"]:
        values["timezone"] = row["timezone"]
        if row["timezone"] not in time_zones():
            state.problem(
                line, "timezone", f"unknown time zone {row['timezone']!r}; use an IANA name like Europe/Berlin"
            )
    if "tier" in has and row["tier"]:
        values["tier"] = fmts.tier(row["tier"])
        if values["tier"] is None:
            state.problem(line, "tier", f"not a tier: {row['tier']!r}; use 1, 2 or 3")
    if "owner" in has:
        values["owner_user_id"] = state.owners.get(" ".join(row["owner"].split()).casefold())
        if row["owner"] and values["owner_user_id"] is None:
            state.problem(line, "owner", f"no user {row['owner']!r} (by email or name): create them first, or fix it")
    contact = _contact(state, line, row)
    if len(state.result.problems) > before:
        return None
    return _Row(line, {"external_id": row["external_id"], **values}, contact)


def _contact(state: _Import, line: int, row: dict[str, str]) -> dict[str, str] | None:
    email = row["contact_email"].lower()
    if not email:
        return None
    if not EMAIL.fullmatch(email):
        state.problem(line, "contact_email", f"not an email address: {email!r}")
        return None
    name = row["contact_name"] or " ".join(p for p in (row["first_name"], row["last_name"]) if p)
    return {"email": email, "name": (name or row["name"])[:200]}


async def _resolved(
    session: AsyncSession, state: _Import, chunk: list[_Row]
) -> list[tuple[_Row, dict[str, Any], Partner | None]]:
    """Each row with its partner as it will be (and as it is, if it exists); a new partner needs a type, and
    a scoped key may not change another program's partner: those rows are problems instead."""
    if not chunk:
        return []
    existing = await account_repo.existing_by(session, Partner, "external_id", [r.values["external_id"] for r in chunk])
    foreign = await key_scope.foreign_partners(session, state.allowed, existing.values())
    resolved = []
    for item in chunk:
        current = existing.get(item.values["external_id"])
        if current is not None and current.id in foreign:
            state.problem(item.line, "external_id", FOREIGN)
        elif current is None and item.values.get("type") is None:
            state.problem(item.line, "type", f"a new partner needs a partner type: one of {fmts.type_words()}")
        else:
            resolved.append((item, _merged(current, item.values), current))
    return resolved


async def _flush(session: AsyncSession, state: _Import) -> None:
    """Write the chunk if the file is clean so far (a later problem rolls it back with the rest)."""
    chunk, state.pending = state.pending, []
    resolved = await _resolved(session, state, chunk)
    changed = []
    for _, merged, current in resolved:
        if current is None:
            state.result.created += 1
        elif any(getattr(current, k) != merged[k] for k in _FIELDS):
            changed.append(merged["id"])
        state.result.rows += 1
    if state.result.problems or not resolved:
        return
    await repo.upsert_partners(session, [merged for _, merged, _ in resolved])
    added = await repo.upsert_contacts(session, [(m["id"], i.contact) for i, m, _ in resolved if i.contact])
    touched = {current.id for _, _, current in resolved if current is not None}
    updated = set(changed) | (added & touched)
    state.result.updated += len(updated)
    state.result.unchanged += len(touched - updated)


FOREIGN = "this partner is in programs you do not run; an admin (or their manager) may change it"


def _merged(current: Partner | None, values: dict[str, Any]) -> dict[str, Any]:
    if current is None:
        base: dict[str, Any] = {"id": str(uuid.uuid4()), "verticals": [], "region": "", "country": None}
        base |= {"timezone": "UTC", "tier": 3, "owner_user_id": None}
    else:
        base = {"id": current.id} | {k: getattr(current, k) for k in _FIELDS}
    merged = base | values
    if isinstance(merged.get("type"), fmts.PartnerType):
        merged["type"] = merged["type"].value
    return merged
