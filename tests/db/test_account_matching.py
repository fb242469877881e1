"""Imports and matching against the real databases (SQLite and Postgres), with CRM-shaped export files."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from api.accounts import service
from api.accounts.formats import ExportFormat
from db.cosell_models import AccountExecutive, AccountMatch, PartnerAccount, VendorAccount
from db.models import AuditLog, Partner
from db.repositories import accounts as repo
from db.session import SessionFactory, transaction
from domain.account_lists import parse_partner_list, parse_pasted_list

DATA = Path(__file__).parents[1] / "data" / "crm"
EXPECTED_OVERLAP = {
    # vendor account (as the vendor named it) -> (owner AE, segment, match key)
    "Acme, Inc.": ("Dana Whitfield", "Enterprise", "domain"),  # "ACME Incorporated, acme.com/about"
    "Contoso Pharmaceuticals": ("Marcus Oyelaran", "Enterprise", "name"),  # "Contoso Pharmaceutical"
    "Fabrikam, Inc.": ("Priya Raman", "Mid-Market", "domain"),  # "FABRIKAM, HTTPS://FABRIKAM.COM"
    "Globex Corporation": ("Priya Raman", "SMB", "name"),  # "Globex Corp" (the vendor has no website)
    "Münchener Stahlbau GmbH": ("Marcus Oyelaran", "Mid-Market", "domain"),  # IDN vs punycode
}
# Northwind vs Northwood, Acme Analytics vs Acme Logistics, Bluebird (gmail), Tailspin (.co.uk vs .com): no.


async def _partner(sessions: SessionFactory, partner_id: str = "p-contoso", name: str = "Contoso Consulting") -> str:
    async with transaction(sessions) as session:
        session.add(Partner(id=partner_id, name=name, type="SI"))
    return partner_id


async def _import(sessions: SessionFactory, kind: str, path: Path | bytes, fmt: ExportFormat = ExportFormat.auto):
    stream = io.BytesIO(path) if isinstance(path, bytes) else path.open("rb")
    with stream:
        async with transaction(sessions) as session:
            if kind == "aes":
                return await service.import_account_executives(session, stream, fmt)
            return await service.import_vendor_accounts(session, stream, fmt)


async def _count(sessions: SessionFactory, model: type) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _upload(sessions: SessionFactory, partner_id: str) -> int:
    with (DATA / "partner_accounts.csv").open("rb") as stream:
        report = parse_partner_list(stream)
    async with transaction(sessions) as session:
        return await repo.replace_partner_accounts(session, partner_id, report.accounts)


async def test_salesforce_import_and_partner_upload_overlap_exactly_as_expected(sessions: SessionFactory) -> None:
    partner_id = await _partner(sessions)
    aes = await _import(sessions, "aes", DATA / "salesforce_users.csv", ExportFormat.salesforce)
    assert (aes.created, aes.updated, aes.unchanged) == (3, 0, 0)
    accounts = await _import(sessions, "accounts", DATA / "salesforce_accounts.csv", ExportFormat.salesforce)
    assert (accounts.source, accounts.rows, accounts.created) == ("salesforce", 10, 10)
    assert accounts.overlapping_accounts == 0  # no partner list yet

    assert await _upload(sessions, partner_id) == len(EXPECTED_OVERLAP)
    async with sessions() as session:
        overlap = await repo.partner_overlap(session, partner_id)
        counts = await repo.overlap_counts(session)
    assert {r.account_name: (r.owner_ae_name, r.segment, r.match_key) for r in overlap} == EXPECTED_OVERLAP
    assert all(r.confidence == 100 for r in overlap if r.match_key == "domain")
    assert all(90 <= r.confidence <= 95 for r in overlap if r.match_key == "name")
    [count] = counts
    assert (count.partner_name, count.accounts, count.overlapping) == ("Contoso Consulting", 9, 5)
    assert count.by_key == {"domain": 3, "name": 2}


async def test_reimport_updates_in_place_and_rematches(sessions: SessionFactory) -> None:
    partner_id = await _partner(sessions)
    await _import(sessions, "aes", DATA / "salesforce_users.csv")
    await _import(sessions, "accounts", DATA / "salesforce_accounts.csv")
    await _upload(sessions, partner_id)
    again = await _import(sessions, "accounts", DATA / "salesforce_accounts.csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 10)

    # The CRM moved Northwood to a new website the partner knows, and gave Globex to Dana.
    changed = (DATA / "salesforce_accounts.csv").read_text(encoding="utf-8")
    changed = changed.replace('"Northwood Traders","Dana Whitfield"', '"Northwind Traders","Dana Whitfield"')
    changed = changed.replace('"Globex Corporation","Priya Raman"', '"Globex Corporation","Dana Whitfield"')
    result = await _import(sessions, "accounts", changed.encode())
    assert (result.created, result.updated, result.unchanged) == (0, 2, 8)
    assert await _count(sessions, VendorAccount) == 10
    async with sessions() as session:
        overlap = {r.account_name: r.owner_ae_name for r in await repo.partner_overlap(session, partner_id)}
        audit = [a.action for a in await session.scalars(select(AuditLog).order_by(AuditLog.id))]
    assert overlap["Northwind Traders"] == "Dana Whitfield" and overlap["Globex Corporation"] == "Dana Whitfield"
    assert len(overlap) == 6
    assert audit == ["account_executives.import"] + ["vendor_accounts.import"] * 3

    aes_again = await _import(sessions, "aes", DATA / "salesforce_users.csv")
    assert (aes_again.created, aes_again.unchanged) == (0, 3) and await _count(sessions, AccountExecutive) == 3


async def test_hubspot_exports(sessions: SessionFactory) -> None:
    partner_id = await _partner(sessions, "p-adatum", "A. Datum Partners")
    aes = await _import(sessions, "aes", DATA / "hubspot_users.csv", ExportFormat.hubspot)
    assert aes.created == 2
    result = await _import(sessions, "accounts", DATA / "hubspot_companies.csv", ExportFormat.hubspot)
    assert (result.source, result.created) == ("hubspot", 4)
    report = parse_pasted_list(
        "Litware Inc, litware.com\nAdventure Works Cycles Ltd\nWoodgrove Financial\nProseware, Inc.\njane@gmail.com"
    )
    async with transaction(sessions) as session:
        assert await repo.replace_partner_accounts(session, partner_id, report.accounts) == 2
        rows = {r.account_name: (r.owner_ae_name, r.segment) for r in await repo.partner_overlap(session, partner_id)}
        opportunities = dict(
            (await session.execute(select(VendorAccount.name, VendorAccount.has_open_opportunity))).all()
        )
    # Segments come from the employee count (250 -> Mid-Market, 1,200 -> Enterprise).
    assert rows == {
        "Litware, Inc.": ("Elena Kowalski", "Mid-Market"),
        "Adventure Works Cycles": ("Tomás Aguilar", "Enterprise"),
    }
    assert opportunities == {
        "Litware, Inc.": True,
        "Adventure Works Cycles": False,
        "Woodgrove Bank": True,
        "Proseware Health": False,
    }


async def test_a_bad_row_rejects_the_whole_file_and_writes_nothing(sessions: SessionFactory) -> None:
    await _import(sessions, "aes", DATA / "salesforce_users.csv")
    lines = (DATA / "salesforce_accounts.csv").read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace('"Marcus Oyelaran"', '"Marcus Oyelaren"')  # typo in the owner, line 4
    lines[5] = lines[5].replace('"www.fabrikam.com"', '"n/a"')  # line 6
    lines[8] = lines[8].replace('"Tailspin Toys"', '"=HYPERLINK(""http://evil.example"",""Tailspin"")"')  # line 9
    lines.append(lines[1])  # the Acme row again, line 12
    with pytest.raises(service.ImportRejected) as caught:
        await _import(sessions, "accounts", "\n".join(lines).encode())
    problems = [(p.line, p.column, p.message.split(":")[0]) for p in caught.value.problems]
    assert problems == [
        (4, "Account Owner", "unknown account owner 'Marcus Oyelaren'"),
        (6, "Website", "not a domain or URL"),
        (9, "Account Name", "starts with '=', which spreadsheets run as a formula; not imported, remove it"),
        (12, "Account ID", "same account id as line 2"),
    ]
    assert await _count(sessions, VendorAccount) == 0


async def test_large_import_rejected_late_leaves_nothing(sessions: SessionFactory) -> None:
    # Chunks are written while the file streams; a problem on the last line must still roll all back.
    rows = ['"Account ID","Account Name","Website"']
    rows += [f'"001{i:012d}","Contoso Unit {i}","unit{i}.contoso.example"' for i in range(2500)]
    rows.append('"001999999999999","Late Row","not a website"')
    with pytest.raises(service.ImportRejected):
        await _import(sessions, "accounts", "\n".join(rows).encode())
    assert await _count(sessions, VendorAccount) == 0
    ok = await _import(sessions, "accounts", "\n".join(rows[:-1]).encode())
    assert ok.created == 2500 and await _count(sessions, VendorAccount) == 2500


async def test_replacing_and_deleting_a_partner_list(sessions: SessionFactory) -> None:
    partner_id = await _partner(sessions)
    other = await _partner(sessions, "p-other", "Northwind Partners")
    await _import(sessions, "aes", DATA / "salesforce_users.csv")
    await _import(sessions, "accounts", DATA / "salesforce_accounts.csv")
    await _upload(sessions, partner_id)
    await _upload(sessions, other)
    async with transaction(sessions) as session:
        replaced = await repo.replace_partner_accounts(
            session, partner_id, parse_pasted_list("tailspintoys.com").accounts
        )
    assert replaced == 1
    async with transaction(sessions) as session:
        assert [r.account_name for r in await repo.partner_overlap(session, partner_id)] == ["Tailspin Toys"]
        assert len(await repo.partner_overlap(session, other)) == 5
        assert await repo.delete_partner_accounts(session, partner_id) == 1
    async with sessions() as session:
        assert await repo.partner_overlap(session, partner_id) == []
        left = await session.scalar(select(func.count()).where(AccountMatch.partner_id == partner_id))
        assert left == 0
        assert await session.scalar(select(func.count()).where(PartnerAccount.partner_id == other)) == 9
