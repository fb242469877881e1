"""The partner directory, edits and contacts (audited, Idempotency-Key), and restoring a suppressed contact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from db.models import AuditLog
from db.repositories import suppressions
from db.session import SessionFactory, transaction
from mail import Email, Mailer
from tests.api.helpers import api_client
from tests.factories import create_cohort, partner, settings_for
from wiring import make_sender

PARTNERS = [
    partner("Adatum Consulting", "SI", external_id="P-1", verticals=["Healthcare"], region="EMEA", tier=1),
    partner("Litware Systems", "ISV", external_id="P-2", verticals=["Retail", "Healthcare"], region="NA", tier=2),
    partner("Northwind Analytics", "ISV", external_id="P-3", verticals=["Retail"], region="emea", tier=3),
    partner("Fabrikam 100%_Cloud", "MSP", external_id="P-4", region="APAC", tier=2),
]


async def audit(sessions: SessionFactory, action: str) -> list[dict[str, Any]]:
    async with transaction(sessions) as session:
        return [a.detail for a in await session.scalars(select(AuditLog).where(AuditLog.action == action))]


def reminder(to: str, key: str) -> Email:
    """A step reminder (the kind an unsubscribe stops) through the real outbox and delivery path."""
    context = {"contact_name": "Alliances", "partner_name": "Adatum", "program_name": "Test program"}
    return Email(
        "step_reminder",
        f"restore-test/{key}",
        to,
        "",
        "Reminder",
        "deal_news",
        context={
            **context,
            "account_name": "Contoso",
            "headline": "was won",
            "stage": "closed_won",
            "reason": "",
            "amount": "",
            "pm_email": "",
        },
    )


async def names(api: httpx.AsyncClient, **params: Any) -> list[str]:
    page = await api.get("/api/v1/partners", params=params)
    assert page.status_code == 200, page.text
    return [p["name"] for p in page.json()["partners"]]


async def partner_id(api: httpx.AsyncClient, name: str) -> str:
    page = (await api.get("/api/v1/partners", params={"q": name})).json()
    [found] = page["partners"]
    return str(found["id"])


class TestDirectory:
    async def test_search_filters_and_pages(self, dev_env: WorkflowEnvironment, sessions: SessionFactory) -> None:
        await create_cohort(sessions, PARTNERS, starts_at=datetime.now(UTC) - timedelta(days=2))
        async with api_client(settings_for(sessions), dev_env.client) as api:
            assert await names(api, q="WARE") == ["Litware Systems"]
            assert await names(api, q="100%_") == ["Fabrikam 100%_Cloud"]  # wildcards taken literally
            assert await names(api, q="%") == ["Fabrikam 100%_Cloud"]
            assert await names(api, type="ISV") == ["Litware Systems", "Northwind Analytics"]
            assert await names(api, vertical="healthcare") == ["Adatum Consulting", "Litware Systems"]
            assert await names(api, region="EMEA") == ["Adatum Consulting", "Northwind Analytics"]
            assert await names(api, tier=2, type="MSP") == ["Fabrikam 100%_Cloud"]
            first = (await api.get("/api/v1/partners", params={"limit": 3})).json()
            rest = (await api.get("/api/v1/partners", params={"limit": 3, "offset": 3})).json()
            assert first["total"] == rest["total"] == 4
            assert [p["name"] for p in first["partners"] + rest["partners"]] == sorted(p["name"] for p in PARTNERS)
            too_many = await api.get("/api/v1/partners", params={"limit": 201})
            assert too_many.status_code == 422 and too_many.json()["detail"][0]["path"] == "query.limit"
            bad_type = await api.get("/api/v1/partners", params={"type": "Agency"})
            assert bad_type.status_code == 422
            assert (await api.get("/api/v1/partners/nobody")).status_code == 404


class TestEdits:
    async def test_patch_is_audited_idempotent_and_refuses_a_taken_external_id(
        self, dev_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        await create_cohort(sessions, PARTNERS[:2], starts_at=datetime.now(UTC) - timedelta(days=2))
        async with api_client(settings_for(sessions), dev_env.client) as api:
            pid = await partner_id(api, "Adatum")
            headers = {"Idempotency-Key": "rename-adatum"}
            change = {"name": "Adatum Digital", "tier": 2, "verticals": ["Healthcare", "Public sector"]}
            first = await api.patch(f"/api/v1/partners/{pid}", json=change, headers=headers)
            again = await api.patch(f"/api/v1/partners/{pid}", json=change, headers=headers)
            assert first.status_code == again.status_code == 200, first.text
            assert first.json() == again.json() and first.json()["name"] == "Adatum Digital"
            detail = (await api.get(f"/api/v1/partners/{pid}")).json()
            assert (detail["tier"], detail["verticals"]) == (2, ["Healthcare", "Public sector"])
            assert len(detail["cohorts"]) == 1 and detail["contacts"][0]["is_primary"]
            [logged] = await audit(sessions, "partner_changed")
            assert logged["from"]["name"] == "Adatum Consulting" and logged["to"]["tier"] == 2
            taken = await api.patch(f"/api/v1/partners/{pid}", json={"external_id": "P-2"})
            assert taken.status_code == 409
            bad = await api.patch(f"/api/v1/partners/{pid}", json={"timezone": "Mars/Base"})
            assert bad.status_code == 422 and bad.json()["detail"][0]["path"] == "timezone"

    async def test_contacts_are_added_changed_and_removed(
        self, dev_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        await create_cohort(sessions, PARTNERS[:1], starts_at=datetime.now(UTC) - timedelta(days=2))
        async with api_client(settings_for(sessions), dev_env.client) as api:
            pid = await partner_id(api, "Adatum")
            [original] = (await api.get(f"/api/v1/partners/{pid}")).json()["contacts"]
            new = {"email": "Ops@Adatum.example", "name": "Ops desk", "role": "Ops", "is_primary": True}
            added = await api.post(f"/api/v1/partners/{pid}/contacts", json=new)
            assert added.status_code == 201, added.text
            contacts = added.json()["contacts"]
            assert [(c["email"], c["is_primary"]) for c in contacts] == [
                ("ops@adatum.example", True),
                (original["email"], False),
            ]
            dup = await api.post(f"/api/v1/partners/{pid}/contacts", json={**new, "is_primary": False})
            assert dup.status_code == 409
            ops = contacts[0]["id"]
            renamed = await api.patch(f"/api/v1/partners/{pid}/contacts/{ops}", json={"name": "Operations"})
            assert renamed.json()["contacts"][0]["name"] == "Operations"
            removed = await api.delete(f"/api/v1/partners/{pid}/contacts/{ops}")
            assert [(c["id"], c["is_primary"]) for c in removed.json()["contacts"]] == [(original["id"], True)]
            last = await api.delete(f"/api/v1/partners/{pid}/contacts/{original['id']}")
            assert last.status_code == 409 and "at least one contact" in last.json()["error"]
            assert [a["contact_id"] for a in await audit(sessions, "contact_removed")] == [ops]
            assert len(await audit(sessions, "contact_added")) == 1


class TestRestore:
    async def test_a_hard_bounce_needs_a_changed_address_and_an_unsubscribe_is_lifted(
        self, dev_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        await create_cohort(sessions, PARTNERS[:2], starts_at=datetime.now(UTC) - timedelta(days=2))
        async with api_client(settings_for(sessions), dev_env.client) as api:
            bounced, unsubscribed = await partner_id(api, "Adatum"), await partner_id(api, "Litware")
            [b] = (await api.get(f"/api/v1/partners/{bounced}")).json()["contacts"]
            [u] = (await api.get(f"/api/v1/partners/{unsubscribed}")).json()["contacts"]
            async with transaction(sessions) as session:
                await suppressions.record(session, b["email"], suppressions.ALL, "bounce", "sendgrid")
                await suppressions.record(session, u["email"], suppressions.REMINDERS, "unsubscribe", "link")
            shown = (await api.get(f"/api/v1/partners/{bounced}")).json()["contacts"][0]
            assert (shown["suppressed"], shown["suppressed_because"]) == ("all", "bounce")
            url = f"/api/v1/partners/{bounced}/contacts/{b['id']}/restore"
            same = await api.post(url, json={"reason": "they say the mailbox works"})
            assert same.status_code == 422 and same.json()["detail"][0]["path"] == "email", same.text
            moved = await api.post(url, json={"reason": "new alliance lead", "email": "lead@adatum.example"})
            assert moved.status_code == 200, moved.text
            assert moved.json()["contacts"][0]["email"] == "lead@adatum.example"
            assert moved.json()["contacts"][0]["suppressed"] is None
            lifted = await api.post(
                f"/api/v1/partners/{unsubscribed}/contacts/{u['id']}/restore", json={"reason": "asked to rejoin"}
            )
            assert lifted.status_code == 200 and lifted.json()["contacts"][0]["suppressed"] is None
            twice = await api.post(
                f"/api/v1/partners/{unsubscribed}/contacts/{u['id']}/restore", json={"reason": "asked to rejoin"}
            )
            assert twice.status_code == 409
        mailer = Mailer(sessions, make_sender(settings_for(sessions)))
        assert await mailer.send(reminder(b["email"], "old")) == "suppressed"  # the dead address stays dead
        assert await mailer.send(reminder("lead@adatum.example", "new")) == "sent"
        assert await mailer.send(reminder(u["email"], "lifted")) == "sent"
        logged = await audit(sessions, "contact_restored")
        assert [(a["reason"], a["email_to"]) for a in logged] == [
            ("new alliance lead", "lead@adatum.example"),
            ("asked to rejoin", u["email"]),
        ]
