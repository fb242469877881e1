"""Streaming CSV reading for imports: header aliases, row-level problems, no surprises.

Pure (no I/O beyond the stream it is handed), so the API, the CLI and partner pages share it. The
reader never holds the file in memory: it decodes one physical line at a time, which is also how a
decoding error can name its line, and hands the lines to `csv.reader`.
"""

from __future__ import annotations

import codecs
import csv
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import BinaryIO

# Spreadsheets execute a cell that starts with one of these (CSV/formula injection, OWASP).
_FORMULA_START = ("=", "+", "-", "@")
_CONTROL_START = ("\t", "\r")
# ...but a plain number or phone number ("-5", "+49 30 901820", "+1 (206) 555-0123") is data: without
# letters, "+" after the first character or quotes it can neither call a function nor reference a cell.
_PLAIN_NUMBER = re.compile(r"[+-][\d\s().,/-]*\d[\d\s().,/-]*")
# Field sizes beyond this are hostile or not a CSV; the csv module's own default is 128 KiB.
_FIELD_LIMIT = 1 << 20


@dataclass(frozen=True)
class Column:
    key: str
    aliases: tuple[str, ...]
    required: bool = True


@dataclass(frozen=True)
class RowProblem:
    line: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", {self.column}" if self.column else "")
        return f"{where}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        return {"line": self.line, "column": self.column, "message": self.message}


class CsvFileError(ValueError):
    """The file as a whole cannot be used; nothing in it is imported."""


def header_key(header: str) -> str:
    """How headers are compared: case-, whitespace- and BOM-insensitive."""
    return " ".join(header.replace("\ufeff", "").split()).casefold()


def is_formula(raw: str) -> bool:
    # Spreadsheets read full-width and compatibility forms ("＝", "﹢", "＠") as the ASCII starter.
    value = unicodedata.normalize("NFKC", raw).strip()
    if raw[:1] in _CONTROL_START and value:
        return True
    return value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value)


def _cell_problem(raw: str) -> str | None:
    # A NUL is corruption, not data: Postgres refuses it in text and C-string consumers cut the value
    # there. Stripping it would silently change an id or an email, so the row is refused instead.
    if "\x00" in raw:
        return "contains a NUL character (byte 0x00); the file is damaged or not a CSV: export it again"
    return _formula_message(raw) if is_formula(raw) else None


def _formula_message(raw: str) -> str:
    first = raw[:1] if raw[:1] in _CONTROL_START else raw.strip()[:1]
    return f"starts with {first!r}, which spreadsheets run as a formula; not imported, remove it: {raw.strip()[:40]!r}"


def check_encoding(first_line: bytes) -> None:
    """Excel's "Unicode text" is UTF-16: say so before anything reads its header as garbage."""
    if first_line.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise CsvFileError(
            'the file is UTF-16 ("Unicode text"), not a CSV in UTF-8: in Excel use '
            'File > Save As > "CSV UTF-8 (Comma delimited)"'
        )


def _decoded_lines(stream: BinaryIO) -> Iterator[str]:
    """One physical line at a time; a byte that is not UTF-8 stops the file with its line number.

    Splitting on b"\\n" before decoding is safe: in UTF-8 that byte never occurs inside a character.
    """
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    for number, raw in enumerate(stream, start=1):
        if number == 1:
            check_encoding(raw)
            raw = raw.removeprefix(codecs.BOM_UTF8)
        try:
            yield decoder.decode(raw)
        except UnicodeDecodeError as exc:
            bad = raw[exc.start : exc.start + 1]
            raise CsvFileError(
                f"line {number} is not UTF-8 (byte 0x{bad.hex()} at character {exc.start + 1}; the file looks like "
                'a Windows/Excel "CSV" export): save it as "CSV UTF-8" and upload it again'
            ) from exc


def _resolve_columns(
    header: list[str], columns: Sequence[Column], mapping: Mapping[str, str] | None
) -> dict[str, tuple[int, str]]:
    """Our key -> (cell index, header as written). Explicit mapping wins over aliases."""
    positions: dict[str, tuple[int, str]] = {}
    for index, name in enumerate(header):
        positions.setdefault(header_key(name), (index, name.strip()))
    known = {c.key for c in columns}
    mapping = dict(mapping or {})
    unknown_keys = sorted(set(mapping) - known)
    if unknown_keys:
        raise CsvFileError(f"the column mapping names unknown fields {unknown_keys}; known fields: {sorted(known)}")
    found: dict[str, tuple[int, str]] = {}
    missing_mapped = []
    for column in columns:
        if column.key in mapping:
            position = positions.get(header_key(mapping[column.key]))
            if position is None:
                missing_mapped.append(f"{column.key}={mapping[column.key]!r}")
            else:
                found[column.key] = position
            continue
        for alias in column.aliases:
            if (position := positions.get(header_key(alias))) is not None:
                found[column.key] = position
                break
    headers_found = ", ".join(repr(h.strip()) for h in header)
    if missing_mapped:
        raise CsvFileError(
            f"the column mapping names headers that are not in the file: {', '.join(missing_mapped)}; "
            f"headers found: {headers_found}"
        )
    missing = [c for c in columns if c.required and c.key not in found]
    if missing:
        wanted = "; ".join(f"{c.key} (one of {', '.join(repr(a) for a in c.aliases)})" for c in missing)
        raise CsvFileError(f"missing required column(s): {wanted}; headers found on line 1: {headers_found}")
    return found


Row = tuple[int, dict[str, str]]


class CsvRows(Iterator[Row | RowProblem]):
    """The iterator read_csv returns; `headers` maps our keys to the headers as written in the file
    (filled once the header line is read), so callers can name the column in their own row problems."""

    def __init__(self) -> None:
        self.headers: dict[str, str] = {}
        self._rows: Iterator[Row | RowProblem] = iter(())

    def __next__(self) -> Row | RowProblem:
        return next(self._rows)


def read_csv(
    stream: BinaryIO,
    columns: Sequence[Column],
    mapping: Mapping[str, str] | None = None,
    *,
    max_rows: int = 200_000,
    require_any: Iterable[Sequence[str]] = (),
) -> CsvRows:
    """Yield (line, {key: stripped value}) per good row and a RowProblem per bad one.

    Every key of `columns` is in each row dict ("" when the optional column is absent). `require_any`
    lists groups of keys of which the header must have at least one (e.g. a name or a website).
    Raises CsvFileError for a file that cannot be used at all, possibly after some rows were yielded
    (bad bytes further down, too many rows): callers import whole files or nothing.
    """
    rows = CsvRows()
    rows._rows = _read(stream, columns, mapping, max_rows, tuple(require_any), rows.headers)
    return rows


def _read(
    stream: BinaryIO,
    columns: Sequence[Column],
    mapping: Mapping[str, str] | None,
    max_rows: int,
    require_any: tuple[Sequence[str], ...],
    headers: dict[str, str],
) -> Iterator[Row | RowProblem]:
    csv.field_size_limit(_FIELD_LIMIT)
    reader = csv.reader(_decoded_lines(stream))
    header: list[str] | None = None
    try:
        for cells in reader:
            if any(c.strip() for c in cells):
                header = cells
                break
    except csv.Error as exc:
        raise CsvFileError(f"line {reader.line_num}: not a valid CSV header: {exc}") from exc
    line = reader.line_num
    if header is None:
        raise CsvFileError("the file is empty: expected a header line and at least one row")
    found = _resolve_columns(header, columns, mapping)
    headers.update({key: name for key, (_, name) in found.items()})
    for group in require_any:
        if not any(key in found for key in group):
            wanted = {c.key: c.aliases for c in columns if c.key in group}
            raise CsvFileError(
                "need at least one of these columns: "
                + "; ".join(f"{k} ({', '.join(repr(a) for a in v)})" for k, v in wanted.items())
                + f"; headers found on line 1: {', '.join(repr(h.strip()) for h in header)}"
            )
    width = len(header)
    rows = 0
    try:
        for cells in reader:
            start, line = line + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue
            rows += 1
            if rows > max_rows:
                raise CsvFileError(
                    f"the file has more than {max_rows:,} rows (line {start}); split it and import parts"
                )
            if len(cells) != width:
                yield RowProblem(start, None, f"has {len(cells)} cells but the header has {width} columns")
                continue
            problems = [
                RowProblem(start, name, message) for i, name in found.values() if (message := _cell_problem(cells[i]))
            ]
            if problems:
                yield from problems
                continue
            yield start, {c.key: cells[found[c.key][0]].strip() if c.key in found else "" for c in columns}
    except csv.Error as exc:
        raise CsvFileError(f"line {reader.line_num}: not a valid CSV: {exc}") from exc
    if rows == 0:
        raise CsvFileError("the file has a header but no rows")
