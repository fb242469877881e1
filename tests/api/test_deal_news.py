"""Deal news to the partner: accepted, rejected (with the reason), won, lost, each emailed once."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from db.models import EmailOutbox
from db.session import SessionFactory, transaction
from tests.api.helpers import api_client
from tests.api.test_deal_import import upload
from tests.api.test_deals import deal, post, seed
from tests.factories import settings_for
from tests.waiting import eventually

ADATUM = "alliances@adatum-consulting.example"
LITWARE = "alliances@litware-systems.example"


async def news(sessions: SessionFactory) -> list[EmailOutbox]:
    async with transaction(sessions) as session:
        rows = await session.scalars(select(EmailOutbox).where(EmailOutbox.kind == "deal_news"))
        return list(rows)


async def settled(sessions: SessionFactory, count: int) -> list[EmailOutbox]:
    """The news rows, once `count` of them exist and none is still waiting to be delivered."""

    async def probe() -> list[EmailOutbox]:
        rows = await news(sessions)
        assert len(rows) == count, [(r.dedupe_key, r.status) for r in rows]
        assert all(r.status not in ("pending", "sending") for r in rows), [r.status for r in rows]
        return rows

    return await eventually(probe, what=f"{count} deal news emails delivered")


class TestDealNews:
    async def test_each_stage_change_emails_the_partner_once(
        self, dev_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        await seed(sessions)
        async with api_client(settings_for(sessions), dev_env.client) as api:
            won = (await post(api, deal("PRT-0042"))).json()["id"]
            lost = (await post(api, deal("PRT-0042", account_name="Fabrikam", account_domain="fabrikam.com"))).json()[
                "id"
            ]
            rejected = await post(api, deal("PRT-0107", account_name="Tailspin", account_domain="tailspin.example"))
            accepted = {"stage": "accepted"}
            headers = {"Idempotency-Key": f"accept-{won}"}
            assert (await api.patch(f"/api/v1/deals/{won}", json=accepted, headers=headers)).status_code == 200
            assert (await api.patch(f"/api/v1/deals/{won}", json=accepted, headers=headers)).status_code == 200
            assert (await api.patch(f"/api/v1/deals/{won}", json=accepted)).status_code == 200  # same stage again
            for stage in ("open", "closed_won"):
                assert (await api.patch(f"/api/v1/deals/{won}", json={"stage": stage})).status_code == 200
            for stage in ("accepted", "open", "closed_lost"):
                assert (await api.patch(f"/api/v1/deals/{lost}", json={"stage": stage})).status_code == 200
            url = f"/api/v1/deals/{rejected.json()['id']}"
            silent = await api.patch(url, json={"stage": "rejected"})
            assert silent.status_code == 422 and silent.json()["detail"][0]["path"] == "reason", silent.text
            why = "Tailspin is a named account the field sells direct"
            assert (await api.patch(url, json={"stage": "rejected", "reason": why})).status_code == 200
            rows = await settled(sessions, 5)
        sent = Counter((r.to_email, r.subject.split(": ", 1)[1]) for r in rows)
        assert sent == {
            (ADATUM, "your deal on Contoso Pharmaceuticals was accepted"): 1,
            (ADATUM, "your deal on Contoso Pharmaceuticals was won"): 1,
            (ADATUM, "your deal on Fabrikam was accepted"): 1,
            (ADATUM, "your deal on Fabrikam was lost"): 1,
            (LITWARE, "your deal on Tailspin was not accepted"): 1,
        }
        [rejection] = [r for r in rows if r.to_email == LITWARE]
        assert why in rejection.text and why in rejection.html
        assert all(r.status == "sent" for r in rows), [r.status for r in rows]

    async def test_a_conflict_rejection_and_a_crm_import_tell_the_partner_once(
        self, dev_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        await seed(sessions)
        async with api_client(settings_for(sessions), dev_env.client) as api:
            kept = (await post(api, deal("PRT-0042"))).json()["id"]
            other = deal("PRT-0107", account_name="Contoso Pharma", account_domain="contoso-pharma.com")
            assert (await post(api, other)).json()["conflict"] == "flagged"
            reason = "Adatum brought the account first"
            resolved = await api.post(f"/api/v1/deals/{kept}/resolve-conflict", json={"reason": reason})
            assert resolved.status_code == 200, resolved.text
            [told] = await settled(sessions, 1)
            assert told.to_email == LITWARE and reason in told.text
            # The Salesforce export closes Adatum's Contoso deal won (and creates three deals, news to no one).
            assert (await upload(api, "opportunities_salesforce.csv")).status_code == 200
            assert (await upload(api, "opportunities_salesforce.csv")).status_code == 200  # re-import: no change
            rows = await settled(sessions, 2)
        won = [r for r in rows if r.to_email == ADATUM]
        assert [r.subject for r in won] == ["Test program: your deal on Contoso Pharmaceuticals was won"]
