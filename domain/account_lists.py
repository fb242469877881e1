"""A partner's account list, from a CSV upload or pasted lines, read into accounts and row problems.

The partner sees the report ("we read N accounts, M rows had problems") before confirming, so this
never guesses silently: a website that is not one, a personal email address without a company
name, or a repeat of an earlier account is reported with its line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import BinaryIO

from domain.accounts import is_public_email_domain, name_key, normalize_domain
from domain.csv_import import Column, RowProblem, is_formula, read_csv

PARTNER_LIST_MAX_ROWS = 100_000

PARTNER_COLUMNS = (
    Column(
        "name",
        (
            "Company name", "Company", "Account Name", "Account", "Organization", "Organisation",
            "Organization Name", "Customer", "Customer Name", "Business Name", "Name",
        ),
        required=False,
    ),
    Column(
        "website",
        (
            "Website", "Company Domain Name", "Domain", "Company Domain", "Web Site", "Website URL", "URL",
            "Company Website", "Homepage",
        ),
        required=False,
    ),
    Column("email", ("Email", "Email Address", "E-mail", "Work Email", "Contact Email", "Business Email"),
           required=False),
)  # fmt: skip


@dataclass(frozen=True)
class ParsedAccount:
    line: int
    name: str
    domain: str | None


@dataclass
class ListReport:
    accounts: list[ParsedAccount] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    rows_read: int = 0

    def summary(self) -> str:
        return f"we read {len(self.accounts)} accounts, {len({p.line for p in self.problems})} rows had problems"


class _Deduper:
    def __init__(self) -> None:
        self.seen: dict[str, int] = {}

    def first_line(self, account: ParsedAccount) -> int | None:
        """The line of an earlier row naming the same account (same domain, or same name without one)."""
        keys = [f"d:{account.domain}"] if account.domain else []
        if account.name:
            keys.append(f"n:{name_key(account.name)}|{account.domain or ''}")
        earlier = next((self.seen[k] for k in keys if k in self.seen), None)
        if earlier is None:
            for key in keys:
                self.seen[key] = account.line
        return earlier


def _account(line: int, name: str, website: str, email: str, header: dict[str, str]) -> ParsedAccount | RowProblem:
    domain = None
    if website:
        domain = normalize_domain(website)
        if domain is None:
            return RowProblem(line, header.get("website"), f"not a domain or URL: {website!r}")
    elif email:
        domain = normalize_domain(email)
        if domain is None or "@" not in email:
            return RowProblem(line, header.get("email"), f"not an email address: {email!r}")
    if domain and is_public_email_domain(domain):
        if not name:
            column = header.get("website") if website else header.get("email")
            source = website or email
            return RowProblem(
                line, column, f"{source!r} is a personal email domain ({domain}); add the company name or website"
            )
        domain = None  # a gmail address says nothing about the company; keep the name
    if not name and not domain:
        return RowProblem(line, None, "no company name, website or email")
    return ParsedAccount(line=line, name=name or (domain or ""), domain=domain)


def _add(report: ListReport, dedupe: _Deduper, item: ParsedAccount | RowProblem) -> None:
    if isinstance(item, RowProblem):
        report.problems.append(item)
        return
    earlier = dedupe.first_line(item)
    if earlier is not None:
        report.problems.append(RowProblem(item.line, None, f"same account as line {earlier}; skipped"))
    else:
        report.accounts.append(item)


def parse_partner_list(stream: BinaryIO) -> ListReport:
    """A CSV with a header naming company/account name and/or website/domain/email columns.

    Raises CsvFileError when the file cannot be used at all (encoding, no usable column, too large).
    """
    report, dedupe = ListReport(), _Deduper()
    rows = read_csv(stream, PARTNER_COLUMNS, max_rows=PARTNER_LIST_MAX_ROWS, require_any=[("name", "website", "email")])
    for item in rows:
        report.rows_read += 1
        if isinstance(item, RowProblem):
            report.problems.append(item)
            continue
        line, row = item
        _add(report, dedupe, _account(line, row["name"], row["website"], row["email"], rows.headers))
    return report


_SEPARATORS = re.compile(r"\s*[,;\t|]\s*")


def parse_pasted_list(text: str) -> ListReport:
    """One account per line: "Acme Corp, acme.com" | "acme.com" | "https://acme.com" | "jane@acme.com" | "Acme Corp"."""
    report, dedupe = ListReport(), _Deduper()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        report.rows_read += 1
        if len(report.accounts) + len(report.problems) > PARTNER_LIST_MAX_ROWS:
            report.problems.append(RowProblem(number, None, f"more than {PARTNER_LIST_MAX_ROWS:,} lines; upload a CSV"))
            break
        if is_formula(raw):
            report.problems.append(RowProblem(number, None, f"starts like a spreadsheet formula: {line[:40]!r}"))
            continue
        parts = [p for p in _SEPARATORS.split(line) if p]
        website = email = ""
        names = []
        for part in parts:
            if not website and not email and normalize_domain(part) and " " not in part:
                if "@" in part:
                    email = part
                else:
                    website = part
            else:
                names.append(part)
        item = _account(number, ", ".join(names), website, email, {})
        _add(report, dedupe, item)
    return report
