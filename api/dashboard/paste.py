"""Partners pasted or uploaded into a dashboard form, read into the API's PartnerIn: simple `name,email[,type]`
lines, or an export the partner import reads (Salesforce, HubSpot, PartnerStack), read by that import's own
parser (api.partners.imports.read_partners) with its problems by line and column."""

from __future__ import annotations

import csv
import io

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from api.cohorts.schemas import PartnerIn
from api.errors import AppError
from api.partners import import_formats, imports
from domain.csv_import import RowProblem, header_key
from playbooks.model import PartnerType

MAX_LINES = 5_000
SHOWN = 10  # problems named on the form; the rest counted
# A first line naming an external-id column (Account ID, Record ID, Partner Key...) is an export's header.
_ID_HEADERS = {header_key(a) for names in import_formats.ALIASES["external_id"].values() for a in names}
NO_CONTACT = "a partner joining a cohort needs a contact email: its invite goes there"


class PasteError(ValueError):
    """What is wrong and on which line, as the form shows it."""


def partners_of(text: str, default_type: PartnerType = PartnerType.SI) -> list[PartnerIn]:
    """Blank lines are skipped; a line's number is its number in the pasted text (1 is the first)."""
    found: list[PartnerIn] = []
    lines = text.splitlines()
    if len([line for line in lines if line.strip()]) > MAX_LINES:
        raise PasteError(f"at most {MAX_LINES} partners at once; split the list")
    for number, cells in enumerate(csv.reader(lines), start=1):
        if not any(cell.strip() for cell in cells):
            continue
        found.append(_partner(number, [cell.strip() for cell in cells], default_type))
    if not found:
        raise PasteError("paste at least one partner: name,email[,type] on a line")
    return found


def is_export(text: str) -> bool:
    first = next((line for line in text.splitlines() if line.strip()), "")
    return any(header_key(cell) in _ID_HEADERS for cell in next(csv.reader([first]), []))


async def partners_in(session: AsyncSession, text: str, allowed: frozenset[str] | None) -> list[PartnerIn]:
    """Simple lines, or an export: its rows as the partner import checks them (`allowed`: the viewer's
    programs, so an external id of another program's partner is refused as the import refuses it)."""
    if not is_export(text):
        return partners_of(text)
    try:
        read = await imports.read_partners(session, io.BytesIO(text.encode()), allowed, MAX_LINES)
    except AppError as exc:  # the file as a whole (a missing column, too many rows)
        raise PasteError(exc.message) from exc
    column = read.headers.get("contact_email", "contact email")
    problems = read.problems + [RowProblem(r.line, column, NO_CONTACT) for r in read.rows if r.contact is None]
    if problems:
        problems.sort(key=lambda p: p.line)
        more = f" (and {len(problems) - SHOWN} more)" if len(problems) > SHOWN else ""
        raise PasteError("; ".join(str(p) for p in problems[:SHOWN]) + more)
    if not read.rows:
        raise PasteError("the file has a header but no partner rows")
    return [_exported(row) for row in read.rows]


def _exported(row: imports.FileRow) -> PartnerIn:
    fields = ("name", "type", "verticals", "region", "country", "timezone", "tier")
    try:
        return PartnerIn(
            external_id=row.partner["external_id"],
            contacts=[row.contact],  # type: ignore[list-item]
            **{k: row.partner[k] for k in fields},
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise PasteError(f"line {row.line}: {'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from exc


def _partner(number: int, cells: list[str], default_type: PartnerType) -> PartnerIn:
    if len(cells) not in (2, 3):
        raise PasteError(f"line {number}: give name,email or name,email,type ({len(cells)} values found)")
    name, email = cells[0], cells[1]
    kind = import_formats.partner_type(cells[2]) if len(cells) == 3 and cells[2] else default_type
    if kind is None:
        raise PasteError(f"line {number}: type {cells[2]!r} is not one of {import_formats.type_words()}")
    try:
        return PartnerIn(name=name, type=kind, contacts=[{"email": email, "name": name}])  # type: ignore[list-item]
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"] if not isinstance(p, int))
        field = "email" if "email" in where else "name" if where == "name" else where
        raise PasteError(f"line {number}: {field}: {first['msg']}") from exc
