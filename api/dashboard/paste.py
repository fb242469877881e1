"""Partners pasted into a dashboard form, one `name,email[,type]` a line, read into the API's PartnerIn."""

from __future__ import annotations

import csv

from pydantic import ValidationError

from api.cohorts.schemas import PartnerIn
from api.partners import import_formats
from playbooks.model import PartnerType

MAX_LINES = 5_000


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
