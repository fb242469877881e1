from __future__ import annotations

import io
from pathlib import Path

import pytest

from domain.account_lists import ParsedAccount, parse_partner_list, parse_pasted_list
from domain.accounts import AccountRef, Match, VendorIndex, is_public_email_domain, name_key, normalize_domain
from domain.csv_import import CsvFileError, RowProblem

DATA = Path(__file__).parents[1] / "data" / "crm"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://WWW.Acme.com/about?x=1", "acme.com"),
        ("acme.com/about", "acme.com"),
        ("ACME.COM.", "acme.com"),
        ("http://acme.com:8443/", "acme.com"),
        ("jane.doe@Acme.com", "acme.com"),
        ("mailto:sales@fabrikam.co.uk", "fabrikam.co.uk"),
        ("shop.acme.com", "shop.acme.com"),
        ("münchener-stahlbau.de", "xn--mnchener-stahlbau-22b.de"),
        ("https://www.XN--MNCHENER-STAHLBAU-22B.de", "xn--mnchener-stahlbau-22b.de"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("n/a", None),
        ("Acme Corp", None),
        ("acme", None),
        ("192.168.10.4", None),
        ("", None),
        ("https://", None),
        ("-acme-.com", None),
    ],
)
def test_normalize_domain(value: str, expected: str | None) -> None:
    assert normalize_domain(value) == expected


@pytest.mark.parametrize(
    ("domain", "public"),
    [
        ("gmail.com", True),
        ("googlemail.com", True),
        ("hotmail.co.uk", True),
        ("yahoo.fr", True),
        ("gmx.de", True),
        ("web.de", True),
        ("proton.me", True),
        ("outlook.com.br", True),
        ("acme.com", False),
        ("live.nation.com", False),  # a company subdomain that merely starts with a provider's name
        ("gmail-consulting.com", False),
    ],
)
def test_public_email_domains(domain: str, public: bool) -> None:
    assert is_public_email_domain(domain) is public


@pytest.mark.parametrize(
    ("names", "key"),
    [
        (["Acme, Inc.", "ACME Incorporated", "The Acme Company", "Acme Corp.", "acme llc", "Acme & Co."], "acme"),
        (["Müller GmbH & Co. KG", "Mueller GmbH"], None),
        (["Société Générale S.A.", "Societe Generale SA"], "societe generale"),
        (["Procter & Gamble Co.", "Procter and Gamble"], "procter and gamble"),
        (["Fabrikam Intl.", "Fabrikam International Ltd"], "fabrikam international"),
        (["O'Reilly Media, Inc.", "OReilly Media"], "oreilly media"),
    ],
)
def test_name_key_variants(names: list[str], key: str | None) -> None:
    keys = {name_key(n) for n in names}
    if key is None:  # umlaut vs "ue" transliteration is a different key (left to the fuzzy score)
        assert len(keys) == 2
    else:
        assert keys == {key}


def test_a_name_that_is_only_a_suffix_keeps_its_words() -> None:
    assert name_key("AG") == "ag" and name_key("The Company") == "the company"


def refs(*rows: tuple[str, str, str | None]) -> list[AccountRef]:
    return [AccountRef(ref=r, name=n, domain=normalize_domain(d) if d else None) for r, n, d in rows]


VENDOR = refs(
    ("v-acme", "Acme, Inc.", "https://www.acme.com"),
    ("v-acme-log", "Acme Logistics", "acmelogistics.com"),
    ("v-northwood", "Northwood Traders", "northwoodtraders.com"),
    ("v-contoso", "Contoso Pharmaceuticals", "contosopharma.com"),
    ("v-globex", "Globex Corporation", None),
    ("v-tailspin", "Tailspin Toys", "tailspintoys.com"),
    ("v-bluebird", "Bluebird Bakery", "bluebirdbakery@gmail.com"),
    ("v-munich", "Münchener Stahlbau GmbH", "xn--mnchener-stahlbau-22b.de"),
)


class TestVendorIndex:
    def match(self, *partner: tuple[str, str, str | None]) -> dict[str, Match]:
        return {m.partner_ref: m for m in VendorIndex(VENDOR).match(refs(*partner))}

    def test_domain_variants_match_with_full_confidence(self) -> None:
        found = self.match(
            ("p1", "ACME Incorporated", "acme.com/about"),
            ("p2", "Stahlbau München", "münchener-stahlbau.de"),
            ("p3", "Totally different name", "https://ACME.com"),
        )
        assert {k: (m.vendor_ref, m.key, m.confidence) for k, m in found.items()} == {
            "p1": ("v-acme", "domain", 100),
            "p2": ("v-munich", "domain", 100),
            "p3": ("v-acme", "domain", 100),
        }

    def test_name_variants_match_exactly_or_fuzzily(self) -> None:
        found = self.match(
            ("p1", "ACME Incorporated", None),
            ("p2", "Contoso Pharmaceutical", None),
            ("p3", "Globex Corp", "globex.com"),  # vendor has no website: the name decides
        )
        assert {k: (m.vendor_ref, m.key) for k, m in found.items()} == {
            "p1": ("v-acme", "name"),
            "p2": ("v-contoso", "name"),
            "p3": ("v-globex", "name"),
        }
        assert found["p1"].confidence == 95 and 90 <= found["p2"].confidence <= 94

    def test_near_misses_do_not_match(self) -> None:
        assert (
            self.match(
                ("p1", "Acme Analytics", "acmeanalytics.io"),
                ("p2", "Northwind Traders", None),
                ("p3", "Acme Holdings Group", None),
                ("p4", "Contoso", None),
            )
            == {}
        )

    def test_a_public_email_domain_never_matches(self) -> None:
        gmail_vendor = VendorIndex(refs(("v-jane", "Jane Smith Consulting", "jane.smith@gmail.com")))
        assert gmail_vendor.match(refs(("p1", "Bluebird Cafe", "owner.bluebird@gmail.com"))) == []
        assert self.match(("p1", "Bluebird Cafe", "owner.bluebird@gmail.com")) == {}

    def test_same_name_on_different_websites_is_not_the_same_company(self) -> None:
        assert self.match(("p1", "Tailspin Toys", "tailspintoys.co.uk")) == {}
        assert self.match(("p1", "Tailspin Toys", None))["p1"].vendor_ref == "v-tailspin"

    def test_one_best_vendor_account_per_partner_account(self) -> None:
        index = VendorIndex(
            refs(("v1", "Wide World Importers", "wideworld.com"), ("v2", "Wide World Importers", "wwi.example"))
        )
        found = index.match(
            refs(("p1", "Wide World Importers Ltd", "wwi.example"), ("p2", "Wide World Importer", None))
        )
        assert [(m.partner_ref, m.vendor_ref, m.key) for m in found] == [("p1", "v2", "domain"), ("p2", "v1", "name")]


class TestPartnerList:
    def test_uploaded_csv_is_read_with_row_level_problems(self) -> None:
        with (DATA / "partner_accounts.csv").open("rb") as stream:
            report = parse_partner_list(stream)
        assert report.rows_read == 11
        assert report.accounts[0] == ParsedAccount(line=2, name="ACME Incorporated", domain="acme.com")
        assert [a.line for a in report.accounts] == [2, 3, 4, 5, 6, 7, 8, 9, 10]
        assert ParsedAccount(7, "Bluebird Cafe", None) in report.accounts  # gmail says nothing; the name stays
        assert [str(p) for p in report.problems] == [
            "line 11, Email: 'jane@gmail.com' is a personal email domain (gmail.com); add the company name or website",
            "line 12: same account as line 2; skipped",
        ]
        assert report.summary() == "we read 9 accounts, 2 rows had problems"

    def test_hubspot_and_excel_style_headers(self) -> None:
        data = b"Record ID,Name,Company Domain Name\n1,Litware,litware.com\n2,,not a site\n3,=HYPERLINK(1),x.com\n"
        report = parse_partner_list(io.BytesIO(data))
        assert report.accounts == [ParsedAccount(2, "Litware", "litware.com")]
        assert [(p.line, p.column) for p in report.problems] == [(3, "Company Domain Name"), (4, "Name")]

    def test_no_usable_column_is_a_file_error(self) -> None:
        with pytest.raises(CsvFileError, match="need at least one of these columns"):
            parse_partner_list(io.BytesIO(b"Deal,Amount\nBig one,5000\n"))

    def test_pasted_lines(self) -> None:
        report = parse_pasted_list(
            "Acme Corp, acme.com\n\nhttps://globex.com\nInitech\tinitech.io\njane@gmail.com\n"
            "Acme, Inc.; https://www.acme.com/\n=1+2\nContoso Ltd\n"
        )
        assert report.accounts == [
            ParsedAccount(1, "Acme Corp", "acme.com"),
            ParsedAccount(3, "globex.com", "globex.com"),
            ParsedAccount(4, "Initech", "initech.io"),
            ParsedAccount(8, "Contoso Ltd", None),
        ]
        assert [(p.line, p.message.split(";")[0]) for p in report.problems] == [
            (5, "'jane@gmail.com' is a personal email domain (gmail.com)"),
            (6, "same account as line 1"),
            (7, "starts like a spreadsheet formula: '=1+2'"),
        ]
        assert isinstance(report.problems[0], RowProblem) and report.rows_read == 7
