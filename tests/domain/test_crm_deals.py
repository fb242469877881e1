"""The pure rules of a CRM opportunity export: CRM detection, stage vocabulary, amounts, dates, roles."""

from __future__ import annotations

import contextlib
import io
import random
from datetime import datetime

import pytest

from domain import crm_deals
from domain.crm_deals import _DATE_FORMATS, FORMATS, detect, parse_row, read_rows
from domain.csv_import import CsvFileError, RowProblem
from domain.deals import Role, Stage

HEADERS = {"stage": "Stage", "amount": "Amount", "close_date": "Close Date"}


def values(**changes: str) -> dict[str, str]:
    base = {
        "crm_id": "0065g00000AbCdE1AAF",
        "account_name": "Contoso",
        "account_domain": "",
        "account_crm_id": "",
        "stage": "Closed Won",
        "amount": "USD 125,000.50",
        "currency": "",
        "close_date": "3/31/2027",
        "owner": "dana@vendor.example",
        "partner": "Adatum",
        "partner_external_id": "",
        "partner_role": "",
        "lead_source": "Partner Referral",
    }
    return {**base, **changes}


class TestDetect:
    def test_each_crm_is_told_by_its_header_and_an_unknown_header_says_what_to_choose(self) -> None:
        assert detect(b"Opportunity ID,Account Name,Stage\r\n") == "salesforce"
        assert detect(b"Record ID,Deal Stage\n") == "hubspot"
        with pytest.raises(CsvFileError, match="choose format=salesforce or format=hubspot"):
            detect(b"Name,Value\n")


class TestParseRow:
    def test_a_salesforce_row_becomes_a_deal_row(self) -> None:
        row = parse_row(7, values(), HEADERS)
        assert not isinstance(row, list)
        assert (row.line, row.stage, row.amount, row.currency) == (7, Stage.closed_won, 125001, "USD")
        assert row.close_date is not None and row.close_date.isoformat() == "2027-03-31"
        assert row.role is Role.sourced  # the lead came from the partner

    def test_every_bad_cell_is_a_problem_with_its_column(self) -> None:
        problems = parse_row(3, values(stage="Won-ish", amount="-5", close_date="soon", currency="dollars"), HEADERS)
        assert isinstance(problems, list) and all(isinstance(p, RowProblem) for p in problems)
        assert sorted(p.column or "" for p in problems) == ["Amount", "Close Date", "Stage", "currency"]


class TestReadRows:
    def test_rows_and_problems_come_back_by_line(self) -> None:
        csv = (
            "Opportunity ID,Account Name,Stage,Amount,Close Date,Partner Account\n"
            "006A,Contoso,Prospecting,100,2027-01-31,Adatum\n"
            "006B,Fabrikam,Nope,100,2027-01-31,Adatum\n"
        )
        rows, problems = read_rows(io.BytesIO(csv.encode()), FORMATS["salesforce"], None)
        assert [(r.crm_id, r.stage) for r in rows] == [("006A", Stage.open)]
        assert [(p.line, p.column) for p in problems] == [(3, "Stage")]


def _by_strptime(raw: str) -> object:
    """The dates as strptime alone reads them (the reader's rules before its fast path)."""
    for fmt in _DATE_FORMATS:
        with contextlib.suppress(ValueError):
            return datetime.strptime(raw, fmt).date()
    return None


def test_the_date_fast_path_reads_exactly_what_strptime_reads() -> None:
    rng = random.Random(20261204)
    parts = ["0", "00", "1", "01", "9", "12", "13", "29", "30", "31", "32", "2026", "0000", "٣", " 5", "012"]
    raws = [f"{rng.choice(parts)}{sep}{rng.choice(parts)}{sep}{rng.choice(parts)}" for sep in "-/" for _ in range(1500)]
    raws += [f"2026{sep}{m}{sep}{d}" for sep in "-/" for m in parts for d in parts]
    raws += [f"{m}/{d}/2028" for m in parts for d in parts] + ["2026-03-31 10:15", "2026-03-31 10:15:00", "", "3/31/27"]
    for raw in raws:
        try:
            got: object = crm_deals._date(raw)
        except ValueError:
            got = None
        assert got == _by_strptime(raw), raw
    assert sum(_by_strptime(r) is not None for r in raws) > 40  # the draw holds many real dates, and bad ones
