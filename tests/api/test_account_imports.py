"""PM imports and vendor-side overlap over the JSON API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from sqlalchemy import func, select
from temporalio.client import Client

from db.cosell_models import VendorAccount
from db.models import Partner
from db.repositories import accounts as repo
from db.session import SessionFactory, transaction
from domain.account_lists import parse_partner_list
from tests.api.helpers import api_client
from tests.factories import settings_for

DATA = Path(__file__).parents[1] / "data" / "crm"
# These endpoints never touch Temporal; the app only needs something in its slot.
NO_TEMPORAL = cast(Client, object())


def _file(path: Path | bytes, name: str = "export.csv") -> dict[str, Any]:
    content = path.read_bytes() if isinstance(path, Path) else path
    return {"file": (name, content, "text/csv")}


async def _setup(api: httpx.AsyncClient) -> None:
    aes = await api.post("/api/v1/account-executives/import", files=_file(DATA / "salesforce_users.csv"))
    assert aes.status_code == 200, aes.text
    accounts = await api.post(
        "/api/v1/vendor-accounts/import?format=salesforce", files=_file(DATA / "salesforce_accounts.csv")
    )
    assert accounts.status_code == 200, accounts.text
    assert accounts.json() == {
        "kind": "vendor_accounts",
        "source": "salesforce",
        "rows": 10,
        "created": 10,
        "updated": 0,
        "unchanged": 0,
        "overlapping_accounts": 0,
    }


async def _partner_with_list(sessions: SessionFactory) -> str:
    with (DATA / "partner_accounts.csv").open("rb") as stream:
        report = parse_partner_list(stream)
    async with transaction(sessions) as session:
        session.add(Partner(id="p-1", name="Contoso Consulting", type="SI"))
        await session.flush()
        await repo.replace_partner_accounts(session, "p-1", report.accounts)
    return "p-1"


async def test_imports_need_the_pm_key(sessions: SessionFactory) -> None:
    async with api_client(settings_for(sessions), NO_TEMPORAL) as api:
        response = await api.post(
            "/api/v1/vendor-accounts/import",
            files=_file(DATA / "salesforce_accounts.csv"),
            headers={"Authorization": "Bearer wrong"},
        )
        assert response.status_code == 401
        assert (await api.get("/api/v1/overlap", headers={"Authorization": ""})).status_code == 401


async def test_import_then_overlap_views_show_only_overlap(sessions: SessionFactory) -> None:
    async with api_client(settings_for(sessions), NO_TEMPORAL) as api:
        await _setup(api)
        partner_id = await _partner_with_list(sessions)
        summary = (await api.get("/api/v1/overlap")).json()
        assert summary == {
            "partners": [
                {
                    "partner_id": partner_id,
                    "partner_name": "Contoso Consulting",
                    "accounts": 9,
                    "overlapping": 5,
                    "by_key": {"domain": 3, "name": 2},
                }
            ]
        }
        detail = await api.get(f"/api/v1/partners/{partner_id}/overlap")
        assert detail.status_code == 200
        accounts = detail.json()["accounts"]
        assert [a["account_name"] for a in accounts] == [
            "Acme, Inc.",
            "Contoso Pharmaceuticals",
            "Fabrikam, Inc.",
            "Globex Corporation",
            "Münchener Stahlbau GmbH",
        ]
        assert accounts[0] | {"vendor_account_id": "", "owner_ae_id": ""} == {
            "vendor_account_id": "",
            "account_name": "Acme, Inc.",
            "domain": "acme.com",
            "segment": "Enterprise",
            "owner_ae_id": "",
            "owner_ae_name": "Dana Whitfield",
            "partner_account_name": "ACME Incorporated",
            "partner_account_domain": "acme.com",
            "match_key": "domain",
            "confidence": 100,
        }
        # Neither side's non-overlapping accounts appear anywhere in the answer.
        for private in ("Northwind", "Acme Analytics", "Bluebird", "Tailspin", "Northwood", "Acme Logistics"):
            assert private not in detail.text
        deleted = await api.delete(f"/api/v1/partners/{partner_id}/accounts")
        assert deleted.json() == {"partner_id": partner_id, "deleted_accounts": 9}
        assert (await api.get(f"/api/v1/partners/{partner_id}/overlap")).json()["accounts"] == []
        assert (await api.get("/api/v1/overlap")).json() == {"partners": []}
        missing = await api.get("/api/v1/partners/nope/overlap")
        assert missing.status_code == 404
        assert (await api.delete("/api/v1/partners/nope/accounts")).status_code == 404


async def test_row_problems_are_a_422_listing_each_and_nothing_is_written(sessions: SessionFactory) -> None:
    async with api_client(settings_for(sessions), NO_TEMPORAL) as api:
        await api.post("/api/v1/account-executives/import", files=_file(DATA / "salesforce_users.csv"))
        text = (DATA / "salesforce_accounts.csv").read_text(encoding="utf-8")
        text = text.replace('"Priya Raman","Prospect","Food', '"Pat Unknown","Prospect","Food')  # line 10
        text = text.replace('"Wingtip Solutions"', '"@SUM(1+1)"')  # line 11
        response = await api.post("/api/v1/vendor-accounts/import", files=_file(text.encode()))
        assert response.status_code == 422
        body = response.json()
        assert body["error"] == "nothing imported: 2 row(s) of the accounts file have problems"
        assert body["detail"]["problems_total"] == 2
        assert [(p["line"], p["column"]) for p in body["detail"]["problems"]] == [
            (10, "Account Owner"),
            (11, "Account Name"),
        ]
        assert "unknown account owner 'Pat Unknown'" in body["detail"]["problems"][0]["message"]
        async with sessions() as session:
            assert await session.scalar(select(func.count()).select_from(VendorAccount)) == 0


async def test_file_level_errors(sessions: SessionFactory) -> None:
    async with api_client(settings_for(sessions), NO_TEMPORAL) as api:
        excel = "Account ID,Account Name\n0015g0001,Société Générale\n".encode("cp1252")
        response = await api.post("/api/v1/vendor-accounts/import", files=_file(excel))
        assert response.status_code == 422 and "line 2 is not UTF-8" in response.json()["error"]
        assert '"CSV UTF-8"' in response.json()["error"]
        empty = await api.post("/api/v1/vendor-accounts/import", files=_file(b""))
        assert empty.status_code == 422 and "empty" in empty.json()["error"]
        # A HubSpot file announced as Salesforce: the Salesforce headers are missing, and the answer says so.
        wrong = await api.post(
            "/api/v1/vendor-accounts/import?format=salesforce", files=_file(DATA / "hubspot_companies.csv")
        )
        assert wrong.status_code == 422
        assert "'Account ID'" in wrong.json()["error"] and "'Record ID'" in wrong.json()["error"]
        bad_format = await api.post("/api/v1/vendor-accounts/import?format=excel", files=_file(b"a\n1\n"))
        assert bad_format.status_code == 422 and bad_format.json()["detail"][0]["path"] == "query.format"


async def test_explicit_mapping_for_a_custom_export(sessions: SessionFactory) -> None:
    custom = (
        b"Acct #,Customer,Site,Rep,Tier\n"
        b"A-100,Trey Research,treyresearch.net,Dana Whitfield,Strategic\n"
        b"A-101,Coho Winery,cohowinery.com,,Growth\n"
    )
    mapping = {"crm_id": "Acct #", "name": "Customer", "website": "Site", "owner": "Rep", "segment": "Tier"}
    async with api_client(settings_for(sessions), NO_TEMPORAL) as api:
        await api.post("/api/v1/account-executives/import", files=_file(DATA / "salesforce_users.csv"))
        response = await api.post(
            "/api/v1/vendor-accounts/import", files=_file(custom), data={"mapping": json.dumps(mapping)}
        )
        assert response.status_code == 200, response.text
        assert (response.json()["source"], response.json()["created"]) == ("mapped", 2)
        async with sessions() as session:
            rows = (await session.execute(select(VendorAccount.crm_id, VendorAccount.segment).order_by("crm_id"))).all()
        assert [tuple(r) for r in rows] == [("A-100", "Strategic"), ("A-101", "Growth")]
        broken = await api.post("/api/v1/vendor-accounts/import", files=_file(custom), data={"mapping": "{crm_id"})
        assert broken.status_code == 422 and broken.json()["error"] == "mapping is not valid JSON"


def test_cli_imports_with_the_same_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from cli import app
    from settings import get_settings

    monkeypatch.setenv("COSELL_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
        rejected = runner.invoke(app, ["accounts", "import-accounts", str(DATA / "salesforce_accounts.csv")])
        assert rejected.exit_code == 1
        assert "line 2, Account Owner: unknown account owner 'Dana Whitfield'" in rejected.output
        aes = runner.invoke(
            app, ["accounts", "import-aes", str(DATA / "salesforce_users.csv"), "--format", "salesforce"]
        )
        assert aes.exit_code == 0 and "3 rows (salesforce): 3 created" in aes.output
        # A mapping overrides only the fields it names; the owner still comes from "Company owner".
        assert runner.invoke(app, ["accounts", "import-aes", str(DATA / "hubspot_users.csv")]).exit_code == 0
        args = ["accounts", "import-accounts", str(DATA / "hubspot_companies.csv"), "--map", "crm_id=Record ID"]
        mapped = runner.invoke(app, [*args, "--map", "name=Company name", "--map", "website=Company Domain Name"])
        assert mapped.exit_code == 0, mapped.output
        assert "4 rows (mapped): 4 created, 0 updated, 0 unchanged; 0 overlapping accounts" in mapped.output
        wrong = runner.invoke(
            app, ["accounts", "import-accounts", str(DATA / "hubspot_users.csv"), "--format", "excel"]
        )
        assert wrong.exit_code == 2 and "--format must be one of: auto, salesforce, hubspot" in wrong.output
    finally:
        get_settings.cache_clear()
