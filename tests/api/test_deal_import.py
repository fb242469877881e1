"""CRM opportunity import: Salesforce and HubSpot exports, whole file or nothing, re-import is a no-op."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
from temporalio.testing import WorkflowEnvironment

from db.cosell_models import Deal
from db.models import AuditLog, JourneyEvent, Partner
from db.session import SessionFactory, transaction
from tests.api.helpers import api_client
from tests.api.test_deals import deal, post, seed
from tests.api.test_metrics import journeys_started
from tests.factories import settings_for
from workflows.ae_feedback.messages import feedback_workflow_id

CRM = Path(__file__).parent.parent / "data" / "crm"


async def upload(api: httpx.AsyncClient, name: str, **form: str) -> httpx.Response:
    content = (CRM / name).read_bytes()
    data = {"program": "Test program", **form}
    return await api.post("/api/v1/deals/import", files={"file": (name, content, "text/csv")}, data=data)


async def deal_count(sessions: SessionFactory) -> int:
    async with transaction(sessions) as session:
        return await session.scalar(select(func.count()).select_from(Deal)) or 0


def by_crm(deals: list[dict[str, Any]]) -> dict[str | None, dict[str, Any]]:
    return {d["crm_id"]: d for d in deals}


class TestSalesforce:
    async def test_import_adopts_registrations_and_reimport_changes_nothing(
        self, dev_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        ids = await seed(sessions)
        async with api_client(settings_for(sessions), dev_env.client) as api:
            # Adatum registered Contoso itself before the opportunity existed in Salesforce.
            registered = (await post(api, deal("PRT-0042"))).json()
            first = await upload(api, "opportunities_salesforce.csv")
            assert first.status_code == 200, first.text
            result = first.json()
            assert result["format"] == "salesforce"
            assert (result["rows"], result["created"], result["adopted"], result["updated"]) == (5, 3, 1, 0)
            assert result["skipped"] == [
                {"line": 6, "crm_id": "0065g00000AbCdI5AAF", "reason": "no partner on this opportunity"}
            ]
            assert result["warnings"] == [
                {
                    "line": 5,
                    "column": "Opportunity Owner",
                    "message": "no account executive 'Priya Raman'; no AE feedback for it",
                }
            ]
            # Closed Won with a known owner: one feedback request. Closed Lost without a known AE: none.
            assert result["feedback_requested"] == 1
            deals = by_crm((await api.get("/api/v1/deals")).json()["deals"])
            contoso = deals["0065g00000AbCdE1AAF"]
            assert contoso["id"] == registered["id"] and contoso["source"] == "pm"
            assert (contoso["stage"], contoso["amount"], contoso["ae_id"]) == ("closed_won", 180000, ids["dana"])
            assert contoso["closed_at"].startswith("2026-11-13")
            assert contoso["attribution"]["said_by"] == "crm" and contoso["attribution"]["attribution"] == "sourced"
            fabrikam = deals["0065g00000AbCdF2AAF"]
            assert (fabrikam["stage"], fabrikam["partner_name"], fabrikam["ae_id"]) == (
                "open",
                "Litware Systems",
                ids["sam"],
            )
            assert fabrikam["attribution"]["said_by"] == "crm" and fabrikam["partner_role"] == "influenced"
            woodgrove = deals["0065g00000AbCdH4AAF"]
            assert (woodgrove["stage"], woodgrove["ae_id"]) == ("closed_lost", None)
            await dev_env.client.get_workflow_handle(feedback_workflow_id(contoso["id"], ids["dana"])).describe()

            again = (await upload(api, "opportunities_salesforce.csv")).json()
            assert (again["created"], again["adopted"], again["updated"], again["unchanged"]) == (0, 0, 0, 4)
            assert again["feedback_requested"] == 0
            assert await deal_count(sessions) == 4
            after = by_crm((await api.get("/api/v1/deals")).json()["deals"])
            assert {k: v["updated_at"] for k, v in after.items()} == {k: v["updated_at"] for k, v in deals.items()}

    async def test_a_backwards_stage_is_a_row_problem(
        self, dev_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        await seed(sessions)
        async with api_client(settings_for(sessions), dev_env.client) as api:
            assert (await upload(api, "opportunities_salesforce.csv")).status_code == 200
            text = (CRM / "opportunities_salesforce.csv").read_text().replace('"Closed Won"', '"Prospecting"', 1)
            reopened = await api.post(
                "/api/v1/deals/import",
                files={"file": ("again.csv", text.encode(), "text/csv")},
                data={"program": "Test program"},
            )
            assert reopened.status_code == 422
            [problem] = reopened.json()["detail"]["problems"]
            assert (problem["line"], problem["column"]) == (2, "Stage")
            assert "cannot move from closed_won to open" in problem["message"]


class TestHubSpot:
    async def test_hubspot_export_with_labels_and_internal_stage_values(
        self, dev_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        ids = await seed(sessions)
        async with api_client(settings_for(sessions), dev_env.client) as api:
            response = await upload(api, "opportunities_hubspot.csv")
            assert response.status_code == 200, response.text
            result = response.json()
            assert (result["format"], result["created"], result["warnings"], result["feedback_requested"]) == (
                "hubspot",
                3,
                [],
                1,
            )
            deals = by_crm((await api.get("/api/v1/deals")).json()["deals"])
            lucerne = deals["9087765432"]
            assert (lucerne["stage"], lucerne["amount"], lucerne["ae_id"]) == ("closed_won", 128501, ids["dana"])
            assert deals["9087765431"]["stage"] == deals["9087765433"]["stage"] == "open"
            assert deals["9087765433"]["expected_close"] == "2027-01-15"
            again = (await upload(api, "opportunities_hubspot.csv", format="hubspot")).json()
            assert (again["created"], again["unchanged"]) == (0, 3)


class TestBadFiles:
    async def test_every_bad_row_reported_and_nothing_imported(
        self, dev_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        await seed(sessions)
        async with api_client(settings_for(sessions), dev_env.client) as api:
            response = await upload(api, "opportunities_bad_rows.csv")
            assert response.status_code == 422
            body = response.json()
            assert body["error"] == "5 row(s) of opportunities_bad_rows.csv have problems; nothing was imported"
            where = [(p["line"], p["column"]) for p in body["detail"]["problems"]]
            assert where == [
                (3, "Stage"),
                (4, "Amount"),
                (5, "Primary Partner"),
                (6, "Close Date"),
                (7, "Opportunity Name"),
            ]
            messages = [p["message"] for p in body["detail"]["problems"]]
            assert "unknown stage 'Verbal Commit'" in messages[0]
            assert "'about 95k' is not an amount" in messages[1]
            assert "no partner is named 'Globex Partners'" in messages[2]
            assert "'31/03/2027' is not a date" in messages[3]
            assert "formula" in messages[4]
            assert await deal_count(sessions) == 0

    async def test_unusable_files_say_why(self, dev_env: WorkflowEnvironment, sessions: SessionFactory) -> None:
        await seed(sessions)
        async with api_client(settings_for(sessions), dev_env.client) as api:
            unknown = await api.post(
                "/api/v1/deals/import",
                files={"file": ("deals.csv", b"Name,Value\nAcme,1\n", "text/csv")},
                data={"program": "Test program"},
            )
            assert unknown.status_code == 422 and "cannot tell the CRM" in unknown.json()["error"]
            latin1 = (
                "Opportunity ID,Account Name,Stage,Primary Partner\n"
                "006A,Caf\xe9 Lumi\xe8re,Closed Won,Adatum Consulting\n"
            )
            encoded = await api.post(
                "/api/v1/deals/import",
                files={"file": ("deals.csv", latin1.encode("latin-1"), "text/csv")},
                data={"program": "Test program"},
            )
            assert encoded.status_code == 422 and "line 2 is not UTF-8" in encoded.json()["error"]
            mapped = await api.post(
                "/api/v1/deals/import",
                files={
                    "file": (
                        "deals.csv",
                        b"Opportunity ID,Account Name,Stage,Co-Sell Partner\n"
                        b"006B,Fabrikam,Closed Won,Litware Systems\n",
                        "text/csv",
                    )
                },
                data={"program": "Test program", "mapping": '{"partner": "Co-Sell Partner"}'},
            )
            assert mapped.status_code == 200, mapped.text
            assert mapped.json()["created"] == 1
            assert await deal_count(sessions) == 1


class TestCollisions:
    async def test_rows_on_an_account_another_partner_holds_are_flagged_with_their_timeline(
        self, dev_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        ids = await seed(sessions)
        async with transaction(sessions) as session:
            members = list(await session.scalars(select(Partner.id)))
        await journeys_started(sessions, ids["cohort"], members, datetime.now(UTC) - timedelta(days=5))
        header = '"Account Name","Stage","Opportunity ID","Account ID","Primary Partner","Partner ID"\n'
        rows = [
            '"Blue Yonder Airlines","Prospecting","006BY1","","Adatum Consulting","PRT-0042"\n',
            '"Tailspin Toys","Prospecting","006TT1","","Northwind Analytics","PRT-0213"\n',
            '"Blue Yonder Airlines","Qualification","006BY2","","Litware Systems","PRT-0107"\n',
            # Same partner on Contoso as the PM registered below: no collision; another partner's: one.
            '"Contoso Pharmaceuticals","Prospecting","006CP1","0015g00000XyZ01AAF","Northwind Analytics","PRT-0213"\n',
        ]
        async with api_client(settings_for(sessions), dev_env.client) as api:
            held = (await post(api, deal("PRT-0042"))).json()
            response = await api.post(
                "/api/v1/deals/import",
                files={"file": ("c.csv", (header + "".join(rows)).encode(), "text/csv")},
                data={"program": "Test program", "format": "salesforce"},
            )
            assert response.status_code == 200, response.text
            assert response.json()["created"] == 4
            deals = by_crm((await api.get("/api/v1/deals")).json()["deals"])
            by1, by2, tt1, cp1 = deals["006BY1"], deals["006BY2"], deals["006TT1"], deals["006CP1"]
            assert (by1["conflict"], by1["conflicts_with"]) == ("flagged", [by2["id"]])
            assert (by2["conflict"], by2["conflicts_with"]) == ("flagged", [by1["id"]])
            assert tt1["conflict"] is None
            assert (cp1["conflict"], cp1["conflicts_with"]) == ("flagged", [held["id"]])
            held_now = (await api.get(f"/api/v1/deals/{held['id']}")).json()
            assert held_now["conflict"] == "flagged" and held_now["conflicts_with"] == [cp1["id"]]
            assert cp1["cohort_id"] and cp1["ae_id"]  # the window it belongs to; the account owner
        async with transaction(sessions) as session:
            events = (
                await session.execute(select(JourneyEvent.kind, JourneyEvent.data).order_by(JourneyEvent.id))
            ).all()
            audits = list(
                await session.scalars(
                    select(AuditLog.idempotency_key).where(AuditLog.action == "deal_conflict_flagged")
                )
            )
        kinds = Counter(kind for kind, data in events if data.get("deal_id") in {d["id"] for d in deals.values()})
        assert kinds["deal_registered"] == 5 and kinds["deal_conflict"] == 4, kinds
        registered = next(d for k, d in events if k == "deal_registered" and d["deal_id"] == cp1["id"])
        assert (registered["crm_id"], registered["line"], registered["source"]) == ("006CP1", 5, "crm")
        assert sorted(audits) == sorted([f"deal-conflict/{by2['id']}", f"deal-conflict/{cp1['id']}"])
