"""CSV bodies streamed a page at a time: UTF-8 with a BOM (so spreadsheets read the accents right),
every cell guarded against formula injection, and a row's cells taken from the JSON API's own model,
so an export says what the API says."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import UTC, datetime

from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from domain.csv_import import is_formula

BOM = "\ufeff"


def cell(value: object) -> str:
    """One JSON value (as `model_dump(mode="json")` gives it) as a CSV cell. A text a spreadsheet would
    run as a formula (the same guard the imports refuse with) gets a leading apostrophe, which shows it
    as text and keeps the value readable."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return "'" + text if is_formula(text) else text


def header(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


def cells(item: BaseModel) -> list[str]:
    return [cell(v) for v in item.model_dump(mode="json").values()]


def _encoded(rows: Iterable[Sequence[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode()


async def body(columns: Sequence[str], pages: AsyncIterator[Sequence[BaseModel]]) -> AsyncIterator[bytes]:
    """The header, then one chunk per page: memory holds one page, never the whole export."""
    yield BOM.encode() + _encoded([columns])
    async for page in pages:
        if page:
            yield _encoded(cells(item) for item in page)


def filename(*parts: str) -> str:
    """ASCII, no quotes or path characters: safe inside Content-Disposition on every client."""
    slug = "-".join(re.sub(r"[^A-Za-z0-9]+", "-", p).strip("-").lower() for p in parts if p)
    return f"{slug or 'export'}-{datetime.now(UTC):%Y-%m-%d}.csv"


def csv_response(name: str, model: type[BaseModel], pages: AsyncIterator[Sequence[BaseModel]]) -> StreamingResponse:
    return StreamingResponse(
        body(header(model), pages),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )
