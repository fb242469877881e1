"""PM deal API: registration (idempotent), conflicts and their resolution, stage moves, closing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from db.models import AuditLog
from db.session import SessionFactory, transaction
from tests.api.helpers import api_client
from tests.deal_data import add_account, add_ae
from tests.factories import create_cohort, partner, settings_for
from workflows.ae_feedback.messages import feedback_workflow_id

PARTNERS = [
    partner("Adatum Consulting", "SI", external_id="PRT-0042"),
    partner("Litware Systems", "ISV", external_id="PRT-0107"),
    partner("Northwind Analytics", "ISV", external_id="PRT-0213"),
]


async def seed(sessions: SessionFactory) -> dict[str, str]:
    """A running window of three partners, two AEs and one CRM account with its owner."""
    cohort = await create_cohort(sessions, PARTNERS, starts_at=datetime.now(UTC) - timedelta(days=5))
    dana = await add_ae(sessions, "dana.whitfield@vendor.example", "Dana Whitfield")
    sam = await add_ae(sessions, "sam.okafor@vendor.example", "Sam Okafor")
    await add_account(sessions, "0015g00000XyZ01AAF", "Contoso Pharmaceuticals", "contoso-pharma.com", dana)
    return {"cohort": cohort.id, "dana": dana, "sam": sam}


def deal(external_id: str = "PRT-0042", **extra: Any) -> dict[str, Any]:
    return {
        "program": "Test program",
        "partner_external_id": external_id,
        "account_name": "Contoso Pharmaceuticals",
        "account_domain": "www.contoso-pharma.com",
        "amount": 180000,
        "expected_close": "2027-03-31",
        "partner_role": "sourced",
        "description": "Lab data platform migration",
        **extra,
    }


async def post(api: httpx.AsyncClient, body: dict[str, Any], **headers: str) -> httpx.Response:
    return await api.post("/api/v1/deals", json=body, headers=headers)


class TestRegistration:
    async def test_a_duplicate_by_the_same_partner_is_the_same_deal(
        self, dev_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        ids = await seed(sessions)
        async with api_client(settings_for(sessions), dev_env.client) as api:
            first = await post(api, deal())
            assert first.status_code == 201, first.text
            body = first.json()
            assert (body["stage"], body["amount"], body["cohort_id"]) == ("registered", 180000, ids["cohort"])
            assert (body["ae_id"], body["ae_email"]) == (ids["dana"], "dana.whitfield@vendor.example")
            assert body["attribution"]["said_by"] == "partner" and body["attribution"]["attribution"] == "sourced"
            again = await post(api, deal(account_name="Contoso Pharmaceuticals Inc.", amount=190000))
            assert again.status_code == 200 and again.json()["id"] == body["id"]
            keyed = await post(
                api, deal(account_name="Fabrikam", account_domain="fabrikam.com"), **{"Idempotency-Key": "k-1"}
            )
            replay = await post(
                api, deal(account_name="Fabrikam", account_domain="fabrikam.com"), **{"Idempotency-Key": "k-1"}
            )
            # A retry with the same key is answered with the first answer, status included.
            assert (keyed.status_code, replay.status_code) == (201, 201)
            assert keyed.json()["id"] == replay.json()["id"]
            listed = (await api.get("/api/v1/deals", params={"program": "Test program"})).json()
            assert listed["count"] == 2

    async def test_bad_requests_say_what_and_where(
        self, dev_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        await seed(sessions)
        async with api_client(settings_for(sessions), dev_env.client) as api:
            invalid = await post(api, deal(amount=-5, partner_role="resold", expected_close="soon"))
            assert invalid.status_code == 422
            assert {d["path"] for d in invalid.json()["detail"]} == {"amount", "partner_role", "expected_close"}
            nobody = await post(api, {**deal(), "partner_external_id": None})
            assert nobody.status_code == 422 and "partner_id or partner_external_id" in nobody.text
            unknown = await post(api, deal(external_id="PRT-9999"))
            assert unknown.status_code == 404 and unknown.json()["error"] == "partner not found"
            assert (await post(api, deal(program="Nope"))).status_code == 404
            assert (await api.get("/api/v1/deals/nope")).status_code == 404
            assert (await api.get("/api/v1/deals", headers={"Authorization": "Bearer wrong"})).status_code == 401


class TestConflicts:
    async def test_two_partners_flagged_then_resolved(
        self, dev_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        await seed(sessions)
        async with api_client(settings_for(sessions), dev_env.client) as api:
            a = (await post(api, deal("PRT-0042"))).json()
            assert a["conflict"] is None
            # Same account by its CRM domain, typed differently, by another partner.
            b_resp = await post(
                api,
                deal(
                    "PRT-0107",
                    account_name="Contoso Pharma",
                    account_domain="contoso-pharma.com",
                    partner_role="influenced",
                ),
            )
            b = b_resp.json()
            assert b_resp.status_code == 201 and b["conflict"] == "flagged" and b["conflicts_with"] == [a["id"]]
            a = (await api.get(f"/api/v1/deals/{a['id']}")).json()
            assert a["conflict"] == "flagged" and a["conflicts_with"] == [b["id"]]
            flagged = (await api.get("/api/v1/deals", params={"conflict": "flagged"})).json()
            assert {d["id"] for d in flagged["deals"]} == {a["id"], b["id"]}
            too_short = await api.post(f"/api/v1/deals/{a['id']}/resolve-conflict", json={"reason": ""})
            assert too_short.status_code == 422
            resolved = await api.post(
                f"/api/v1/deals/{a['id']}/resolve-conflict",
                json={"reason": "Adatum introduced the account in September; Litware joined later"},
            )
            assert resolved.status_code == 200 and resolved.json()["conflict"] == "resolved"
            b = (await api.get(f"/api/v1/deals/{b['id']}")).json()
            assert (b["stage"], b["conflict"]) == ("rejected", "resolved")
            again = await api.post(f"/api/v1/deals/{a['id']}/resolve-conflict", json={"reason": "twice"})
            assert again.status_code == 409
            assert (await api.get("/api/v1/deals", params={"conflict": "flagged"})).json()["count"] == 0
            # The account is free again for Litware only after a rejection: a new registration is a new deal.
            c = await post(api, deal("PRT-0107", account_domain="contoso-pharma.com"))
            assert c.status_code == 201 and c.json()["id"] != b["id"] and c.json()["conflict"] == "flagged"
        async with transaction(sessions) as session:
            audit = (await session.scalars(select(AuditLog).where(AuditLog.action == "deal_conflict_resolved"))).one()
        assert audit.detail["rejected"] == [b["id"]] and "September" in audit.detail["reason"]


class TestStagesAndClosing:
    async def test_moves_audited_illegal_moves_409_and_one_feedback_request(
        self, dev_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        ids = await seed(sessions)
        async with api_client(settings_for(sessions), dev_env.client) as api:
            d = (
                await post(
                    api,
                    deal(account_name="Fabrikam", account_domain="fabrikam.com", ae_email="sam.okafor@vendor.example"),
                )
            ).json()
            url = f"/api/v1/deals/{d['id']}"
            skip = await api.patch(url, json={"stage": "open"})
            assert skip.status_code == 409
            assert skip.json()["detail"] == {
                "deal_id": d["id"],
                "from": "registered",
                "to": "open",
                "allowed": ["accepted", "rejected"],
            }
            assert "cannot move from registered to open" in skip.json()["error"]
            for stage in ("accepted", "open"):
                assert (await api.patch(url, json={"stage": stage})).json()["stage"] == stage
            said = await api.patch(url, json={"attribution": "accelerated", "amount": "215000.40", "reason": "AE call"})
            current = said.json()["attribution"]
            assert (current["said_by"], current["actor"], current["attribution"]) == ("pm", "pm", "accelerated")
            assert said.json()["amount"] == 215000
            assert [a["said_by"] for a in said.json()["attributions"]] == ["partner", "pm"]
            won = await api.patch(url, json={"stage": "closed_won"}, headers={"Idempotency-Key": "close-1"})
            assert won.status_code == 200 and won.json()["feedback_requested"] is True
            assert won.json()["closed_at"] is not None
            handle = dev_env.client.get_workflow_handle(feedback_workflow_id(d["id"], ids["sam"]))
            assert (await handle.describe()).id == feedback_workflow_id(d["id"], ids["sam"])
            # A retried close (same key) gets the first answer; a repeated close event: 200, and no second request.
            assert (await api.patch(url, json={"stage": "closed_won"}, headers={"Idempotency-Key": "close-1"})).json()[
                "feedback_requested"
            ] is True
            assert (await api.patch(url, json={"stage": "closed_won"})).json()["feedback_requested"] is False
            lost = await api.patch(url, json={"stage": "closed_lost"})
            assert lost.status_code == 409 and lost.json()["detail"]["allowed"] == []
            unknown_ae = await api.patch(url, json={"ae_email": "nobody@vendor.example"})
            assert unknown_ae.status_code == 404
        async with transaction(sessions) as session:
            audits = list(
                await session.scalars(select(AuditLog).where(AuditLog.action == "deal_updated").order_by(AuditLog.id))
            )
        changes = [a.detail["changes"] for a in audits]
        assert changes[0] == {"stage": ["registered", "accepted"]}
        assert changes[2] == {"amount": [180000, 215000], "attribution": [None, "accelerated"]}
        assert {"stage": ["open", "closed_won"]} in changes
