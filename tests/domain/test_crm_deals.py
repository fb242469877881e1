"""The pure rules of a CRM opportunity export: CRM detection, stage vocabulary, amounts, dates, roles."""

from __future__ import annotations

import io

import pytest

from domain.crm_deals import FORMATS, detect, parse_row, read_rows
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
