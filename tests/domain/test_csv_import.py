from __future__ import annotations

import io
import tracemalloc
from pathlib import Path

import pytest

from domain.csv_import import Column, CsvFileError, RowProblem, is_formula, read_csv

DATA = Path(__file__).parents[1] / "data" / "crm"

ACCOUNT = (
    Column("crm_id", ("Account ID", "Record ID")),
    Column("name", ("Account Name", "Company name")),
    Column("website", ("Website", "Company Domain Name"), required=False),
    Column("segment", ("Segment",), required=False),
)


def rows(data: bytes, columns: tuple[Column, ...] = ACCOUNT, **kwargs: object) -> list[object]:
    return list(read_csv(io.BytesIO(data), columns, **kwargs))  # type: ignore[arg-type]


class TestReading:
    def test_salesforce_export_quoted_fields_with_physical_lines_and_absent_optional_columns(self) -> None:
        with (DATA / "salesforce_accounts.csv").open("rb") as stream:
            reader = read_csv(stream, ACCOUNT)
            result = list(reader)
        assert reader.headers == {"crm_id": "Account ID", "name": "Account Name", "website": "Website"}
        assert result[0] == (
            2,
            {"crm_id": "0015g00000Qz1AAAAZ", "name": "Acme, Inc.", "website": "https://www.acme.com", "segment": ""},
        )
        assert [line for line, _ in result] == list(range(2, 12))  # type: ignore[misc]

    def test_headers_match_case_and_whitespace_insensitively_and_bom_is_accepted(self) -> None:
        data = "\ufeff  record id ,COMPANY  NAME\n42,Litware\n".encode()
        assert rows(data) == [(2, {"crm_id": "42", "name": "Litware", "website": "", "segment": ""})]

    def test_quoted_newline_keeps_the_physical_line_of_the_next_row(self) -> None:
        data = b'Account ID,Account Name\n1,"Acme\nHoldings"\n\n2,=HYPERLINK("x")\n'
        result = rows(data)
        assert result[0] == (2, {"crm_id": "1", "name": "Acme\nHoldings", "website": "", "segment": ""})
        assert isinstance(result[1], RowProblem) and result[1].line == 5 and result[1].column == "Account Name"

    def test_explicit_mapping_overrides_aliases(self) -> None:
        data = b"Acct #,Account Name,Customer\n77,Wrong,Tailspin Toys\n"
        result = rows(data, mapping={"crm_id": "Acct #", "name": "customer"})
        assert result == [(2, {"crm_id": "77", "name": "Tailspin Toys", "website": "", "segment": ""})]

    def test_mapping_to_a_header_that_is_not_there_names_both(self) -> None:
        with pytest.raises(CsvFileError, match=r"crm_id='Acct No'.*headers found: 'Account ID', 'Account Name'"):
            rows(b"Account ID,Account Name\n1,A\n", mapping={"crm_id": "Acct No"})
        with pytest.raises(CsvFileError, match="unknown fields"):
            rows(b"Account ID,Account Name\n1,A\n", mapping={"owner_id": "Account ID"})


class TestBadInput:
    @pytest.mark.parametrize(
        "cell",
        ['=cmd|" /C calc"!A0', "@SUM(A1:A9)", "+cmd", "-2+3", "=1+1", "\t=1", "-", "+ acme"],
    )
    def test_formula_cells_are_reported_never_altered(self, cell: str) -> None:
        assert is_formula(cell)
        data = f'Account ID,Account Name\n1,"{cell.replace(chr(34), chr(34) * 2)}"\n2,Fabrikam\n'.encode()
        problem, good = rows(data)
        assert isinstance(problem, RowProblem)
        assert (problem.line, problem.column) == (2, "Account Name")
        assert "formula" in problem.message and str(problem).startswith("line 2, Account Name: starts with")
        assert good == (3, {"crm_id": "2", "name": "Fabrikam", "website": "", "segment": ""})

    @pytest.mark.parametrize("cell", ["-5", "+49 30 901820", "-1,234.50", "+1 (206) 555-0123", "Acme-Works"])
    def test_plain_numbers_and_phone_numbers_are_data(self, cell: str) -> None:
        assert not is_formula(cell)

    @pytest.mark.parametrize(
        "cell", ["\uff1d1+1", "\uff0bcmd", "\uff0d2+3", "\uff20SUM(A1)", "\ufe661+1", "\u3000\uff1d1"]
    )
    def test_full_width_and_compatibility_formula_starters_are_formulas(self, cell: str) -> None:
        assert is_formula(cell)
        [problem] = rows(f"Account ID,Account Name\n1,{cell}\n".encode())
        assert isinstance(problem, RowProblem) and (problem.line, problem.column) == (2, "Account Name")
        assert not is_formula("\uff0b\uff14\uff19 30 901820")  # a full-width phone number is still data

    def test_a_nul_byte_in_a_cell_is_a_row_problem(self) -> None:
        problem, good = rows(b"Account ID,Account Name\n1,Acme\x00Corp\n2,Fabrikam\n")
        assert isinstance(problem, RowProblem) and (problem.line, problem.column) == (2, "Account Name")
        assert "NUL" in problem.message
        assert good == (3, {"crm_id": "2", "name": "Fabrikam", "website": "", "segment": ""})

    def test_cp1252_excel_export_names_the_line_and_the_fix(self) -> None:
        data = "Account ID,Account Name\n1,Acme\n2,Société Générale\n".encode("cp1252")
        with pytest.raises(CsvFileError) as caught:
            rows(data)
        assert "line 3 is not UTF-8" in str(caught.value) and "0xe9" in str(caught.value)
        assert '"CSV UTF-8"' in str(caught.value)

    def test_utf16_unicode_text_export_is_named(self) -> None:
        with pytest.raises(CsvFileError, match="UTF-16"):
            rows("Account ID,Account Name\n1,Acme\n".encode("utf-16"))

    def test_missing_required_columns_lists_them_and_the_headers_found(self) -> None:
        with pytest.raises(CsvFileError) as caught:
            rows(b"Id,Company,Website\n1,Acme,acme.com\n")
        message = str(caught.value)
        assert "crm_id (one of 'Account ID', 'Record ID')" in message
        assert "name (one of 'Account Name', 'Company name')" in message
        assert "headers found on line 1: 'Id', 'Company', 'Website'" in message

    def test_require_any_group(self) -> None:
        columns = (Column("name", ("Company",), required=False), Column("website", ("Website",), required=False))
        with pytest.raises(CsvFileError, match="need at least one of these columns"):
            rows(b"Notes\nhello\n", columns, require_any=[("name", "website")])

    @pytest.mark.parametrize("data", [b"", b"\n\n  \n", b"\xef\xbb\xbf"])
    def test_empty_file(self, data: bytes) -> None:
        with pytest.raises(CsvFileError, match="the file is empty"):
            rows(data)

    def test_header_without_rows(self) -> None:
        with pytest.raises(CsvFileError, match="header but no rows"):
            rows(b"Account ID,Account Name\n,\n")

    def test_wrong_cell_count_is_a_row_problem(self) -> None:
        result = rows(b"Account ID,Account Name\n1,Acme, Inc.\n2,Globex\n")
        assert result[0] == RowProblem(2, None, "has 3 cells but the header has 2 columns")
        assert result[1] == (3, {"crm_id": "2", "name": "Globex", "website": "", "segment": ""})

    def test_too_many_rows_stops_the_file(self) -> None:
        data = b"Account ID,Account Name\n" + b"".join(b"%d,Acme %d\n" % (i, i) for i in range(11))
        with pytest.raises(CsvFileError, match=r"more than 10 rows \(line 12\)"):
            rows(data, max_rows=10)


class TestStreaming:
    def test_100k_rows_stream_in_a_fraction_of_the_file_size(self, tmp_path: Path) -> None:
        path = tmp_path / "accounts.csv"
        with path.open("w", encoding="utf-8", newline="") as out:
            out.write('"Account ID","Account Name","Website","Segment"\r\n')
            for i in range(100_000):
                out.write(
                    f'"0015g{i:013d}","Contoso Holding {i} GmbH","https://www.contoso-{i}.example/about","SMB"\r\n'
                )
        size = path.stat().st_size
        count, last = 0, None
        tracemalloc.start()
        try:
            with path.open("rb") as stream:
                for item in read_csv(stream, ACCOUNT):
                    assert not isinstance(item, RowProblem)
                    count, last = count + 1, item
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert count == 100_000 and last is not None and last[0] == 100_001
        assert size > 9_000_000
        # Reading everything would need several times the file size; streaming needs a few buffers.
        assert peak < size / 20, f"peak {peak:,} bytes for a {size:,}-byte file"
