"""Partner import from Salesforce, HubSpot and PartnerStack exports: upsert by external id, whole file or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine
from temporalio.client import Client

from db.models import AuditLog, Partner, PartnerContact
from db.session import SessionFactory
from tests.api.helpers import api_client
from tests.factories import settings_for

DATA = Path(__file__).parents[1] / "data" / "partners"
NO_TEMPORAL = cast(Client, object())
pytestmark = pytest.mark.timeout(60)


def _file(content: Path | bytes) -> dict[str, Any]:
    return {"file": ("partners.csv", content.read_bytes() if isinstance(content, Path) else content, "text/csv")}


async def _partners(sessions: SessionFactory) -> dict[str, tuple[Any, ...]]:
    async with sessions() as session:
        rows = await session.execute(
            select(Partner.external_id, Partner.name, Partner.type, Partner.verticals, Partner.region,
                   Partner.country, Partner.timezone, Partner.tier)
        )  # fmt: skip
        return {r[0]: tuple(r[1:]) for r in rows}


async def _contacts(sessions: SessionFactory) -> set[tuple[str | None, str, str, bool]]:
    async with sessions() as session:
        rows = await session.execute(
            select(Partner.external_id, PartnerContact.email, PartnerContact.name, PartnerContact.is_primary).join(
                Partner, Partner.id == PartnerContact.partner_id
            )
        )
        return {tuple(r) for r in rows}  # type: ignore[misc]


async def test_each_export_imports_and_a_reimport_updates_in_place(sessions: SessionFactory) -> None:
    async with api_client(settings_for(sessions), NO_TEMPORAL) as api:
        sf = await api.post("/api/v1/partners/import", files=_file(DATA / "salesforce_partner_accounts.csv"))
        assert sf.status_code == 200, sf.text
        assert sf.json() == {
            "kind": "partners", "source": "auto", "rows": 3, "created": 3, "updated": 0, "unchanged": 0,
            "overlapping_accounts": None,
        }  # fmt: skip
        hs = await api.post(
            "/api/v1/partners/import?format=hubspot", files=_file(DATA / "hubspot_partner_companies.csv")
        )
        ps = await api.post("/api/v1/partners/import", files=_file(DATA / "partnerstack_partners.csv"))
        assert (hs.status_code, hs.json()["created"], ps.status_code, ps.json()["created"]) == (200, 2, 200, 2)
        partners = await _partners(sessions)
        assert partners["0015g00000Pa1AAAAZ"] == (
            "Contoso Consulting",
            "SI",
            ["Healthcare"],
            "United States",
            "US",
            "UTC",
            2,
        )
        assert partners["0015g00000Pa1ACAAZ"][1:] == ("ISV", ["Retail"], "Canada", "CA", "UTC", 1)
        assert partners["9001"] == (
            "Tailspin Advisory", "influence", ["Public Sector", "Education"], "United Kingdom", None, "Europe/London", 3
        )  # fmt: skip
        assert partners["9002"][1] == "referral"
        assert partners["part_7QmL2x"] == ("Adatum Automation", "ISV", [], "", "FR", "UTC", 3)
        assert partners["part_8RnM3y"][1] == "referral"
        contacts = await _contacts(sessions)
        assert ("0015g00000Pa1AAAAZ", "dev.patel@contoso.example", "Dev Patel", True) in contacts
        assert ("part_7QmL2x", "kim@adatum.example", "Kim Akers", True) in contacts
        assert ("9001", "ops@tailspin.example", "Tailspin Advisory", True) in contacts  # no name: the company's
        assert len(contacts) == 5  # rows without an email add no contact

        # The same file again changes nothing; a changed tier and a new contact update those two in place.
        again = await api.post("/api/v1/partners/import", files=_file(DATA / "salesforce_partner_accounts.csv"))
        assert again.json() | {"kind": ""} == {
            "kind": "", "source": "auto", "rows": 3, "created": 0, "updated": 0, "unchanged": 3,
            "overlapping_accounts": None,
        }  # fmt: skip
        text = (DATA / "salesforce_partner_accounts.csv").read_text()
        text = text.replace('"Tier 3"', '"Tier 1"').replace('"1","",""', '"1","Ana Ruiz","ana@northwind.example"')
        changed = await api.post("/api/v1/partners/import", files=_file(text.encode()))
        assert (changed.json()["updated"], changed.json()["unchanged"]) == (2, 1)
        assert (await _partners(sessions))["0015g00000Pa1ABAAZ"][-1] == 1
        assert ("0015g00000Pa1ACAAZ", "ana@northwind.example", "Ana Ruiz", True) in await _contacts(sessions)
        async with sessions() as session:
            audits = await session.scalar(select(func.count()).where(AuditLog.action == "partners.import"))
        assert audits == 5


async def test_absent_columns_leave_fields_as_they_are(sessions: SessionFactory) -> None:
    async with api_client(settings_for(sessions), NO_TEMPORAL) as api:
        await api.post("/api/v1/partners/import", files=_file(DATA / "salesforce_partner_accounts.csv"))
        renamed = b"Account ID,Account Name\n0015g00000Pa1AAAAZ,Contoso Consulting Group\n"
        response = await api.post("/api/v1/partners/import", files=_file(renamed))
        assert response.json()["updated"] == 1, response.text
        assert (await _partners(sessions))["0015g00000Pa1AAAAZ"] == (
            "Contoso Consulting Group", "SI", ["Healthcare"], "United States", "US", "UTC", 2
        )  # fmt: skip
        # Without a type column, a partner the file would create is a problem on its line.
        new = b"Account ID,Account Name\n0015g00000Pa1AAAAZ,Contoso\nP-NEW,Brand New\n"
        refused = await api.post("/api/v1/partners/import", files=_file(new))
        assert refused.status_code == 422
        assert [(p["line"], p["column"]) for p in refused.json()["detail"]["problems"]] == [(3, "type")]
        assert (await _partners(sessions))["0015g00000Pa1AAAAZ"][0] == "Contoso Consulting Group"


async def test_bad_rows_are_a_422_with_line_and_column_and_nothing_is_written(sessions: SessionFactory) -> None:
    async with api_client(settings_for(sessions), NO_TEMPORAL) as api:
        response = await api.post("/api/v1/partners/import", files=_file(DATA / "partners_bad_rows.csv"))
        assert response.status_code == 422
        body = response.json()
        assert body["error"] == "nothing imported: 5 row(s) of the partners file have problems"
        assert [(p["line"], p["column"]) for p in body["detail"]["problems"]] == [
            (3, "Partner Type"),
            (4, "Account Name"),
            (5, "Billing Country Code"),
            (5, "Time Zone"),
            (5, "Partner Tier"),
            (5, "Primary Contact Email"),
            (6, "Account ID"),
            (7, "Account Name"),
        ]
        messages = [p["message"] for p in body["detail"]["problems"]]
        assert "not a partner type: 'Distributor'" in messages[0]
        assert messages[6] == "same partner as line 2"
        assert "formula" in messages[7]
        assert await _partners(sessions) == {}
        broken = await api.post(
            "/api/v1/partners/import", files=_file("Partner Key,Company\nk1,Café\n".encode("cp1252"))
        )
        assert broken.status_code == 422 and "line 2 is not UTF-8" in broken.json()["error"]
        wrong = await api.post(
            "/api/v1/partners/import?format=partnerstack", files=_file(DATA / "hubspot_partner_companies.csv")
        )
        assert wrong.status_code == 422 and "'Partner Key'" in wrong.json()["error"]


async def test_a_later_bad_chunk_rolls_back_the_chunks_already_written(sessions: SessionFactory) -> None:
    lines = ["Partner Key,Company,Group"] + [f"k{i},Partner {i},ISV" for i in range(2500)] + ["k9,Repeated,ISV"]
    async with api_client(settings_for(sessions), NO_TEMPORAL) as api:
        response = await api.post("/api/v1/partners/import", files=_file("\n".join(lines).encode()))
        assert response.status_code == 422
        assert response.json()["detail"]["problems"] == [
            {"line": 2502, "column": "Partner Key", "message": "same partner as line 11"}
        ]
        assert await _partners(sessions) == {}
        statements: list[str] = []

        def count(*args: Any) -> None:
            statements.append(args[2])

        event.listen(Engine, "before_cursor_execute", count)
        try:
            ok = await api.post("/api/v1/partners/import", files=_file("\n".join(lines[:-1]).encode()))
        finally:
            event.remove(Engine, "before_cursor_execute", count)
        assert ok.json()["created"] == 2500
        # Bulk lookups and multi-row upserts: a handful of statements per 1,000 rows, never one per row.
        assert 3 <= len([s for s in statements if "partners" in s]) < 20, statements


def test_cli_imports_partners(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from cli import app
    from settings import get_settings

    monkeypatch.setenv("COSELL_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
        bad = runner.invoke(app, ["partners", "import", str(DATA / "partners_bad_rows.csv")])
        assert bad.exit_code == 1 and "line 3, Partner Type: not a partner type: 'Distributor'" in bad.output
        args = ["partners", "import", str(DATA / "partnerstack_partners.csv"), "--format", "partnerstack"]
        ok = runner.invoke(app, args)
        assert ok.exit_code == 0 and "2 rows (partnerstack): 2 created, 0 updated, 0 unchanged" in ok.output
        wrong = runner.invoke(app, [*args[:3], "--format", "excel"])
        assert wrong.exit_code == 2 and "auto, salesforce, hubspot, partnerstack" in wrong.output
    finally:
        get_settings.cache_clear()
