"""Vendor-side imports (AEs, CRM accounts) and overlap views; shared by the API and the CLI.

An import is one transaction: rows are validated and written chunk by chunk while the file streams,
and any row problem (or a file-level error) raises ImportRejected, so the caller's rollback leaves
the database exactly as it was. Re-importing updates in place by business key (CRM id, AE email).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from sqlalchemy.ext.asyncio import AsyncSession

from api.accounts.formats import ExportFormat, account_columns, ae_columns, detect_source, segment_for
from api.api_keys import actor_of
from api.errors import AppError, NotFound
from db.cosell_models import AccountExecutive, VendorAccount
from db.models import AuditLog, Partner, utcnow
from db.repositories import accounts as repo
from domain.accounts import name_key, normalize_domain
from domain.csv_import import CsvFileError, RowProblem, read_csv

VENDOR_MAX_ROWS = 200_000
# A 422 lists this many problems; `problems_total` says how many there were.
MAX_PROBLEMS_LISTED = 1000
_CHUNK = 1000
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_TRUE = {"true", "yes", "y", "1", "x"}


class ImportRejected(AppError):
    """Nothing was imported; every problem found is in the detail."""

    status_code = 422

    def __init__(self, message: str, problems: list[RowProblem]):
        detail = {
            "problems": [p.as_dict() for p in problems[:MAX_PROBLEMS_LISTED]],
            "problems_total": len(problems),
        }
        super().__init__(message, detail)
        self.problems = problems


@dataclass
class ImportResult:
    kind: str
    source: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    overlapping_accounts: int | None = None  # after rematching (vendor accounts only)
    problems: list[RowProblem] = field(default_factory=list)


def file_error(exc: CsvFileError) -> ImportRejected:
    return ImportRejected(f"the file cannot be imported: {exc}", [RowProblem(0, None, str(exc))])


def reject_if_problems(what: str, problems: list[RowProblem]) -> None:
    if problems:
        lines = len({p.line for p in problems})
        raise ImportRejected(f"nothing imported: {lines} row(s) of the {what} file have problems", problems)


def _int(value: str) -> int | None:
    digits = value.replace(",", "").replace(" ", "").replace("\u00a0", "")
    return int(digits) if digits.isdigit() else None


async def audit_import(
    session: AsyncSession, actor: str | None, action: str, result: ImportResult, filename: str
) -> None:
    detail = {"file": filename, "source": result.source, "rows": result.rows, "created": result.created}
    detail |= {"updated": result.updated, "unchanged": result.unchanged}
    session.add(AuditLog(actor=actor or actor_of(session), action=action, detail=detail))


# --- account executives --------------------------------------------------------------------------


async def import_account_executives(
    session: AsyncSession,
    stream: BinaryIO,
    fmt: ExportFormat = ExportFormat.auto,
    mapping: Mapping[str, str] | None = None,
    *,
    actor: str | None = None,
    filename: str = "",
) -> ImportResult:
    """AEs from a Salesforce User or HubSpot users export, keyed by email."""
    result = ImportResult(kind="account_executives", source="mapped" if mapping else fmt.value)
    seen: dict[str, int] = {}
    pending: list[dict[str, Any]] = []
    try:
        rows = read_csv(stream, ae_columns(fmt), mapping, require_any=[("full_name", "first_name", "last_name")])
        for item in rows:
            if isinstance(item, RowProblem):
                result.problems.append(item)
                continue
            line, row = item
            email = row["email"].lower()
            name = row["full_name"] or " ".join(p for p in (row["first_name"], row["last_name"]) if p)
            if not _EMAIL.fullmatch(email):
                result.problems.append(RowProblem(line, rows.headers["email"], f"not an email address: {email!r}"))
                continue
            if not name:
                column = rows.headers.get("full_name") or rows.headers.get("first_name")
                result.problems.append(RowProblem(line, column, "no name"))
                continue
            if email in seen:
                result.problems.append(RowProblem(line, rows.headers["email"], f"same AE as line {seen[email]}"))
                continue
            seen[email] = line
            pending.append({"email": email, "name": name, "territory": row["territory"], "crm_owner": name})
            if len(pending) >= _CHUNK and not result.problems:
                await _write(session, AccountExecutive, "email", pending, result)
                pending = []
    except CsvFileError as exc:
        raise file_error(exc) from exc
    reject_if_problems("account executives", result.problems)
    await _write(session, AccountExecutive, "email", pending, result)
    await audit_import(session, actor, "account_executives.import", result, filename)
    return result


async def _write(
    session: AsyncSession, model: Any, key: str, pending: list[dict[str, Any]], result: ImportResult
) -> None:
    """Upsert by the import's key, counting created / updated / unchanged (unchanged rows are not written)."""
    existing = await repo.existing_by(session, model, key, [v[key] for v in pending])
    now, changed = utcnow(), []
    for values in pending:
        result.rows += 1
        current = existing.get(values[key])
        if current is None:
            result.created += 1
        elif all(getattr(current, k) == v for k, v in values.items()):
            result.unchanged += 1
            continue
        else:
            result.updated += 1
        changed.append({"id": current.id if current else str(uuid.uuid4()), **values, "updated_at": now})
    await repo.upsert_rows(session, model, key, changed)


# --- vendor accounts ---------------------------------------------------------------------------


async def import_vendor_accounts(
    session: AsyncSession,
    stream: BinaryIO,
    fmt: ExportFormat = ExportFormat.auto,
    mapping: Mapping[str, str] | None = None,
    *,
    actor: str | None = None,
    filename: str = "",
) -> ImportResult:
    """CRM accounts from a Salesforce Account or HubSpot company export, keyed by CRM id; then rematch."""
    owners = await repo.account_executives_by_owner(session)
    result = ImportResult(kind="vendor_accounts", source="mapped")
    seen: dict[str, int] = {}
    pending: list[dict[str, Any]] = []
    try:
        rows = read_csv(stream, account_columns(fmt), mapping, max_rows=VENDOR_MAX_ROWS)
        for item in rows:
            if isinstance(item, RowProblem):
                result.problems.append(item)
                continue
            if not seen:
                result.source = detect_source(rows.headers.get("crm_id"), bool(mapping))
            line, row = item
            values = _vendor_values(line, row, rows.headers, owners, result)
            if values is None:
                continue
            if values["crm_id"] in seen:
                message = f"same account id as line {seen[values['crm_id']]}"
                result.problems.append(RowProblem(line, rows.headers["crm_id"], message))
                continue
            seen[values["crm_id"]] = line
            pending.append(values | {"source": result.source})
            if len(pending) >= _CHUNK and not result.problems:
                await _write(session, VendorAccount, "crm_id", pending, result)
                pending = []
    except CsvFileError as exc:
        raise file_error(exc) from exc
    reject_if_problems("accounts", result.problems)
    await _write(session, VendorAccount, "crm_id", pending, result)
    await repo.rematch_all(session)
    await audit_import(session, actor, "vendor_accounts.import", result, filename)
    result.overlapping_accounts = sum(c.overlapping for c in await repo.overlap_counts(session))
    return result


def _vendor_values(
    line: int, row: dict[str, str], headers: dict[str, str], owners: dict[str, str], result: ImportResult
) -> dict[str, Any] | None:
    problems = []
    if not row["crm_id"]:
        problems.append(RowProblem(line, headers["crm_id"], "no account id"))
    if not row["name"]:
        problems.append(RowProblem(line, headers["name"], "no account name"))
    for key, limit in (("crm_id", 64), ("name", 300)):
        if len(row[key]) > limit:
            problems.append(RowProblem(line, headers[key], f"longer than {limit} characters"))
    domain = normalize_domain(row["website"]) if row["website"] else None
    if row["website"] and domain is None:
        problems.append(RowProblem(line, headers.get("website"), f"not a domain or URL: {row['website']!r}"))
    owner_id = None
    if row["owner"]:
        owner_id = owners.get(" ".join(row["owner"].split()).casefold())
        if owner_id is None:
            message = f"unknown account owner {row['owner']!r}: import the AEs first, or fix the name"
            problems.append(RowProblem(line, headers.get("owner"), message))
    employees = _int(row["employees"]) if row["employees"] else None
    if row["employees"] and employees is None:
        problems.append(RowProblem(line, headers.get("employees"), f"not a number: {row['employees']!r}"))
    if problems:
        result.problems.extend(problems)
        return None
    open_opps = row["open_opportunities"].strip().casefold()
    return {
        "crm_id": row["crm_id"],
        "name": row["name"],
        "name_key": name_key(row["name"]),
        "domain": domain,
        "owner_ae_id": owner_id,
        "segment": segment_for(row["segment"], employees, row["type"])[:60],
        "industry": row["industry"][:120],
        "has_open_opportunity": open_opps in _TRUE or (_int(open_opps) or 0) > 0,
    }


# --- overlap views and partner lists --------------------------------------------------------------


async def require_partner(session: AsyncSession, partner_id: str) -> Partner:
    partner = await session.get(Partner, partner_id)
    if partner is None:
        raise NotFound(f"partner {partner_id!r} not found", {"partner_id": partner_id})
    return partner
