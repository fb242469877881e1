"""The account_upload step page: upload a CSV or paste a list, see what we read, confirm, see the overlap.

Preview and confirm are two POSTs with nothing stored in between: the preview carries the accounts it
read in a hidden field (compressed), and the confirm parses them again with the same parser, so the
hidden field is trusted no more than a pasted list would be, and nothing is half-imported. The
partner's list is replaced (or deleted) in one transaction; only its overlap is ever shown back.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
import zlib
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from db.repositories import accounts as account_repo
from domain.account_lists import ListReport, ParsedAccount, parse_partner_list, parse_pasted_list
from domain.csv_import import CsvFileError, RowProblem

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# The confirm form carries the list back; compressed it is far smaller than the file it came from.
MAX_FORM_PART_BYTES = 16 * 1024 * 1024
MAX_REQUEST_BYTES = MAX_UPLOAD_BYTES + MAX_FORM_PART_BYTES
SHOWN_ACCOUNTS, SHOWN_PROBLEMS = 20, 50
_PACK_LIMIT = 64 * 1024 * 1024  # a decompression bomb in the hidden field stops here


@dataclass
class Preview:
    report: ListReport | None = None
    error: str | None = None  # the whole input is unusable (the file, its encoding, its size)
    packed: str = ""
    source: str = ""  # the file name, or "your pasted list"
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def problem_rows(self) -> int:
        return len({p.line for p in self.report.problems}) if self.report else 0


def pack(accounts: list[ParsedAccount]) -> str:
    rows = [[a.line, a.name, a.domain or ""] for a in accounts]
    return base64.urlsafe_b64encode(zlib.compress(json.dumps(rows).encode(), 6)).decode()


def _unpack(value: str) -> list[list[object]] | None:
    try:
        inflater = zlib.decompressobj()
        raw = inflater.decompress(base64.urlsafe_b64decode(value.encode()), _PACK_LIMIT)
        if inflater.unconsumed_tail:
            return None
        rows = json.loads(raw)
    except (binascii.Error, zlib.error, ValueError):
        return None
    ok = isinstance(rows, list) and all(isinstance(r, list) and len(r) == 3 for r in rows)
    return rows if ok else None


def _reparse(rows: list[list[object]]) -> ListReport:
    """The carried list through the same parser as an upload; line numbers stay those of the original."""
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["Company name", "Website"])
    lines = []
    for line, name, domain in rows:
        writer.writerow([str(name), str(domain)])
        lines.append(line if isinstance(line, int) else 0)
    report = parse_partner_list(io.BytesIO(text.getvalue().encode()))

    def original(line: int) -> int:
        return lines[line - 2] if 2 <= line < len(lines) + 2 else line

    report.accounts = [ParsedAccount(original(a.line), a.name, a.domain) for a in report.accounts]
    report.problems = [RowProblem(original(p.line), p.column, p.message) for p in report.problems]
    return report


async def preview(form: FormData) -> Preview:
    upload, pasted = form.get("file"), str(form.get("pasted") or "")
    if isinstance(upload, UploadFile) and upload.filename and (upload.size or 0) > 0:
        size = upload.size or 0
        if size > MAX_UPLOAD_BYTES:
            return Preview(
                error=f"{upload.filename} is {size / 1024 / 1024:.1f} MB; the limit is "
                f"{MAX_UPLOAD_BYTES // 1024 // 1024} MB. Upload your customers and target accounts only, "
                "or split the file.",
                source=upload.filename,
            )
        try:
            report = await run_in_threadpool(parse_partner_list, upload.file)
        except CsvFileError as exc:
            return Preview(error=f"{upload.filename}: {exc}", source=upload.filename)
        source = upload.filename
    elif pasted.strip():
        report, source = await run_in_threadpool(parse_pasted_list, pasted), "your pasted list"
    else:
        return Preview(error="Choose a CSV file or paste your list, then check it.")
    if not report.accounts:
        return Preview(report=report, error="We could not read any account from it.", source=source)
    return Preview(report=report, packed=pack(report.accounts), source=source)


def confirmed(form: FormData) -> Preview:
    rows = _unpack(str(form.get("accounts") or ""))
    unreadable = Preview(error="That list could not be read back. Please check your file or list again.")
    if not rows:  # a forged or emptied list: nothing that a preview could have produced
        return unreadable
    try:
        report = _reparse(rows)
    except CsvFileError:
        return unreadable
    if report.problems or not report.accounts:
        return Preview(report=report, error="Some rows changed since you checked them; please check the list again.")
    return Preview(report=report, packed=pack(report.accounts))


async def replace(session: AsyncSession, partner_id: str, accounts: list[ParsedAccount]) -> int:
    """The caller's transaction owns it: the old list and its matches go only if the new one is in."""
    return await account_repo.replace_partner_accounts(session, partner_id, accounts)


async def overlap(session: AsyncSession, partner_id: str) -> list[account_repo.OverlapRow]:
    return await account_repo.partner_overlap(session, partner_id)


async def list_size(session: AsyncSession, partner_id: str) -> int:
    return await account_repo.partner_account_count(session, partner_id)
