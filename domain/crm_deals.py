"""CRM opportunity exports (Salesforce report export, HubSpot deals export) read into checked rows: the
pure rules (columns, stage vocabulary, amounts, dates, roles). Checking rows against the database and
writing them is api/deals/crm_import.py."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import BinaryIO

from domain.csv_import import Column, CsvFileError, RowProblem, check_encoding, header_key, read_csv
from domain.deals import Role, Stage, whole

# One vocabulary for both CRMs, compared without case, spaces or punctuation ("Closed Won" = "closedwon").
# Salesforce's default opportunity stages and HubSpot's default sales pipeline (labels and internal values).
STAGES: dict[str, Stage] = {
    **dict.fromkeys(
        (
            "prospecting",
            "qualification",
            "needsanalysis",
            "valueproposition",
            "iddecisionmakers",
            "perceptionanalysis",
            "proposalpricequote",
            "negotiationreview",
            "appointmentscheduled",
            "qualifiedtobuy",
            "presentationscheduled",
            "decisionmakerboughtin",
            "contractsent",
        ),
        Stage.open,
    ),
    "closedwon": Stage.closed_won,
    "closedlost": Stage.closed_lost,
}

_COMMON = (
    Column("account_domain", ("Website", "Account Website", "Account: Website", "Company Domain Name"), False),
    Column("currency", ("Opportunity Currency", "Currency", "Deal Currency Code"), False),
    Column("lead_source", ("Lead Source", "Original Source", "Original Traffic Source"), False),
    Column("partner_role", ("Partner Role", "Co-Sell Role"), False),
    Column("partner_external_id", ("Partner ID", "Partner Account ID", "Partner External ID"), False),
)
FORMATS: dict[str, tuple[Column, ...]] = {
    "salesforce": (
        Column("crm_id", ("Opportunity ID", "Opportunity ID (18)", "Opportunity Id")),
        Column("name", ("Opportunity Name",), False),
        Column("account_name", ("Account Name",)),
        Column("account_crm_id", ("Account ID", "Account ID (18)"), False),
        Column("stage", ("Stage", "Opportunity Stage")),
        Column("amount", ("Amount",), False),
        Column("close_date", ("Close Date",), False),
        Column("owner", ("Opportunity Owner", "Opportunity Owner: Email", "Owner Email"), False),
        Column("type", ("Type",), False),
        Column("partner", ("Partner Account", "Primary Partner", "Primary Partner Account", "Partner")),
        *_COMMON,
    ),
    "hubspot": (
        Column("crm_id", ("Record ID", "Deal ID")),
        Column("name", ("Deal Name",), False),
        Column("account_name", ("Associated Company", "Associated Company (Primary)", "Company name")),
        Column("account_crm_id", ("Associated Company IDs", "Associated Company ID"), False),
        Column("stage", ("Deal Stage",)),
        Column("amount", ("Amount",), False),
        Column("close_date", ("Close Date",), False),
        Column("owner", ("Deal owner", "Deal Owner"), False),
        Column("type", ("Pipeline", "Deal Type"), False),
        Column("partner", ("Partner", "Partner Name", "Co-Sell Partner", "Associated Partner")),
        *_COMMON,
    ),
}
_DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%m/%d/%Y")


@dataclass
class Row:
    line: int
    crm_id: str
    account_name: str
    account_domain: str | None
    account_crm_id: str | None
    stage: Stage
    amount: int | None
    currency: str
    close_date: date | None
    owner: str
    partner: str
    partner_external_id: str
    role: Role | None
    headers: dict[str, str]

    def header(self, key: str) -> str:
        return self.headers.get(key, key)


def _norm(value: str) -> str:
    return re.sub(r"[^a-z0-9]", "", value.casefold())


def detect(first_line: bytes) -> str:
    check_encoding(first_line)
    cells = {header_key(c) for c in next(csv.reader([first_line.decode("utf-8", "replace")]), [])}
    if cells & {"opportunity id", "opportunity name", "opportunity id (18)"}:
        return "salesforce"
    if cells & {"record id", "deal stage", "deal name"}:
        return "hubspot"
    raise CsvFileError(
        "cannot tell the CRM from the header (expected Salesforce's 'Opportunity ID' or HubSpot's 'Record ID' / "
        "'Deal Stage'); choose format=salesforce or format=hubspot and map the columns"
    )


def _amount(raw: str) -> Decimal:
    cleaned = re.sub(r"^[A-Z]{3}\s*|[$€£¥\s,]", "", raw)
    value = Decimal(cleaned)
    if not value.is_finite() or value < 0:
        raise InvalidOperation
    return value


# The two shapes nearly every export uses, read without strptime (which tried up to four formats per row);
# anything else, or a fast-path match that is not a real date, goes the strptime way with its exact rules.
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_US_DATE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")


def _date(raw: str) -> date:
    if found := _ISO_DATE.fullmatch(raw):
        year, month, day = found.groups()
    elif found := _US_DATE.fullmatch(raw):
        month, day, year = found.groups()
    if found:
        try:
            return date(int(year), int(month), int(day))
        except ValueError:
            pass
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise ValueError(raw)


def parse_row(line: int, values: dict[str, str], headers: dict[str, str]) -> Row | list[RowProblem]:
    problems = []

    def bad(key: str, message: str) -> None:
        problems.append(RowProblem(line, headers.get(key, key), message))

    if not values["crm_id"]:
        bad("crm_id", "is empty; every opportunity needs its CRM id")
    if not values["account_name"]:
        bad("account_name", "is empty")
    stage = STAGES.get(_norm(values["stage"]))
    if stage is None:
        bad(
            "stage",
            f"unknown stage {values['stage']!r}; known: Prospecting ... Negotiation/Review, Closed Won, Closed Lost "
            "(Salesforce) or appointmentscheduled ... contractsent, closedwon, closedlost (HubSpot)",
        )
    amount = None
    if values["amount"]:
        try:
            amount = whole(_amount(values["amount"]))
        except (InvalidOperation, ValueError):
            bad("amount", f"{values['amount']!r} is not an amount like 125000 or 125,000.00")
    close = None
    if values["close_date"]:
        try:
            close = _date(values["close_date"])
        except ValueError:
            bad("close_date", f"{values['close_date']!r} is not a date like 2027-03-31 or 3/31/2027")
    currency = (values["currency"] or "USD").upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        bad("currency", f"{values['currency']!r} is not a currency code like USD")
    role = None
    if values["partner_role"]:
        try:
            role = Role(values["partner_role"].strip().lower())
        except ValueError:
            bad("partner_role", f"{values['partner_role']!r}: use sourced, influenced or accelerated")
    elif "partner" in values["lead_source"].lower():
        role = Role.sourced  # the CRM says the partner brought the lead
    if problems:
        return problems
    assert stage is not None
    return Row(
        line=line,
        crm_id=values["crm_id"],
        account_name=values["account_name"],
        account_domain=values["account_domain"] or None,
        account_crm_id=values["account_crm_id"] or None,
        stage=stage,
        amount=amount,
        currency=currency,
        close_date=close,
        owner=values["owner"],
        partner=values["partner"],
        partner_external_id=values["partner_external_id"],
        role=role,
        headers=headers,
    )


def read_rows(
    stream: BinaryIO, columns: tuple[Column, ...], mapping: dict[str, str] | None
) -> tuple[list[Row], list[RowProblem]]:
    first = stream.readline()
    stream.seek(0)
    header_cells = next(csv.reader([first.decode("utf-8", "replace")]), [])
    by_key = {header_key(h): h.strip().lstrip("\ufeff") for h in header_cells}
    headers: dict[str, str] = {}
    for column in columns:  # the header as the file spells it, for problem messages
        names = [mapping[column.key]] if mapping and column.key in mapping else list(column.aliases)
        headers[column.key] = next((by_key[header_key(n)] for n in names if header_key(n) in by_key), column.aliases[0])
    parsed, problems = [], []
    for item in read_csv(stream, columns, mapping):
        if isinstance(item, RowProblem):
            problems.append(item)
            continue
        result = parse_row(*item, headers)
        if isinstance(result, list):
            problems.extend(result)
        else:
            parsed.append(result)
    return parsed, problems
