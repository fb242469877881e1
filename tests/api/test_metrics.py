"""Co-sell metrics equal what the deals, the AE feedback and the journey timeline say."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from db.cosell_models import AeFeedback
from db.models import JourneyEvent
from db.repositories import journeys
from db.session import SessionFactory, transaction
from tests.api.helpers import api_client
from tests.api.test_deals import PARTNERS, deal, post
from tests.deal_data import add_ae
from tests.factories import create_cohort, settings_for
from tests.workflows.helpers import partner_ids
from workflows.journey.messages import journey_id


async def move(api: httpx.AsyncClient, deal_id: str, *stages: str) -> None:
    for stage in stages:
        # a rejection must say why: the partner is emailed the reason
        body = {"stage": stage} | ({"reason": "outside the program's segments"} if stage == "rejected" else {})
        response = await api.patch(f"/api/v1/deals/{deal_id}", json=body)
        assert response.status_code == 200, response.text


async def feedback(sessions: SessionFactory, deal_id: str, ae_id: str, partner_id: str, **answer: object) -> None:
    """What the AE feedback activities write (H4's workflow): the request, then the answer or the expiry."""
    now = datetime.now(UTC)
    async with transaction(sessions) as session:
        session.add(
            AeFeedback(
                deal_id=deal_id,
                ae_id=ae_id,
                partner_id=partner_id,
                requested_at=now,
                expires_at=now + timedelta(days=14),
                **answer,
            )
        )


async def journeys_started(sessions: SessionFactory, cohort_id: str, partners: list[str], starts: datetime) -> None:
    async with transaction(sessions) as session:
        for pid in partners:
            await journeys.save_journey(
                session,
                dict(
                    id=journey_id(cohort_id, pid),
                    cohort_id=cohort_id,
                    partner_id=pid,
                    stage="activation",
                    status="waiting",
                    started_at=starts,
                    updated_at=starts,
                ),
            )


async def five_deals(api: httpx.AsyncClient) -> dict[str, str]:
    """Two partners' deals, each moved to where the metrics below expect it."""
    ae = {"ae_email": "dana.whitfield@vendor.example"}
    bodies = {
        "won": deal("PRT-0042", account_domain="contoso-pharma.com", amount=180000, **ae),
        "live": deal("PRT-0042", account_name="Fabrikam", account_domain="fabrikam.com", amount=52000, currency="EUR"),
        "lost": deal("PRT-0042", account_name="Tailspin Toys", account_domain="tailspin.example", amount=95000, **ae),
        "rejected": deal(
            "PRT-0107",
            account_name="Woodgrove Bank",
            account_domain="woodgrove.example",
            amount=310000,
            partner_role="influenced",
        ),
        "registered": deal("PRT-0107", account_name="Coho Winery", account_domain="cohowinery.example", amount=56000),
    }
    deals = {name: (await post(api, body)).json() for name, body in bodies.items()}
    await move(api, deals["won"]["id"], "accepted", "open", "closed_won")
    await move(api, deals["live"]["id"], "accepted")
    await move(api, deals["lost"]["id"], "accepted", "closed_lost")
    await move(api, deals["rejected"]["id"], "rejected")
    said = await api.patch(f"/api/v1/deals/{deals['live']['id']}", json={"attribution": "accelerated"})
    assert said.status_code == 200
    return {name: d["id"] for name, d in deals.items()} | {"registered_stage": deals["registered"]["stage"]}


def check_cohort_deals_and_feedback(cm: dict[str, Any], ids: dict[str, str]) -> None:
    d = cm["deals"]
    assert d["registered"]["count"] == 5
    assert sorted(d["accepted"]["deal_ids"]) == sorted([ids["won"], ids["live"], ids["lost"]])
    assert d["rejected"]["deal_ids"] == [ids["rejected"]]
    assert d["open"]["deal_ids"] == [ids["live"]]
    assert (d["won"]["deal_ids"], d["lost"]["deal_ids"]) == ([ids["won"]], [ids["lost"]])
    assert d["win_rate"] == {"value": 0.5, "numerator": 1, "denominator": 2}
    assert d["pipeline_amount"] == {"EUR": 52000} and d["won_amount"] == {"USD": 180000}
    attribution = {k: v["count"] for k, v in d["attribution"].items()}
    assert attribution == {"sourced": 3, "influenced": 1, "accelerated": 1, "none": 0}
    assert d["attribution"]["accelerated"]["deal_ids"] == [ids["live"]]
    f = cm["feedback"]
    assert (f["requested"], f["submitted"], f["expired"], f["pending"]) == (2, 1, 1, 0)
    assert f["response_rate"] == {"value": 0.5, "numerator": 1, "denominator": 2}
    assert f["ae_referrals"] == {"count": 1, "deal_ids": [ids["won"]]}
    assert (f["avg_role_clarity"], f["avg_responsiveness"]) == (4.0, 5.0)


async def check_first_deal_is_the_timelines(
    sessions: SessionFactory, jid: str, first: dict[str, Any], starts: datetime, won_id: str
) -> None:
    """Time to first deal is the timeline's first deal_registered event, counted from the window start."""
    async with transaction(sessions) as session:
        first_event = await session.scalar(
            select(JourneyEvent)
            .where(JourneyEvent.journey_id == jid, JourneyEvent.kind == "deal_registered")
            .order_by(JourneyEvent.occurred_at)
            .limit(1)
        )
        # The timeline tells each deal's story the metrics count.
        kinds = set(await session.scalars(select(JourneyEvent.kind).where(JourneyEvent.journey_id == jid)))
    assert first_event is not None
    assert first["deal_id"] == first_event.data["deal_id"] == won_id
    assert datetime.fromisoformat(first["registered_at"]) == first_event.occurred_at
    assert first["days"] == round((first_event.occurred_at - starts).total_seconds() / 86400, 2)
    assert 6.4 < first["days"] < 6.6
    assert {"deal_registered", "deal_accepted", "deal_open", "deal_closed_won", "deal_closed_lost"} <= kinds


class TestMetrics:
    async def test_cohort_and_partner_metrics_match_deals_feedback_and_timeline(
        self, dev_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        starts = datetime.now(UTC) - timedelta(days=6, hours=12)
        cohort = await create_cohort(sessions, PARTNERS, starts_at=starts)
        adatum, litware, northwind = await partner_ids(sessions, cohort.id)
        await journeys_started(sessions, cohort.id, [adatum, litware, northwind], starts)
        dana = await add_ae(sessions, "dana.whitfield@vendor.example", "Dana Whitfield")
        async with api_client(settings_for(sessions), dev_env.client) as api:
            ids = await five_deals(api)
            answer = dict(contribution="sourced", role_clarity=4, responsiveness=5, invite_again=True)
            await feedback(sessions, ids["won"], dana, adatum, status="submitted", **answer)
            await feedback(sessions, ids["lost"], dana, adatum, status="expired")

            cm = (await api.get(f"/api/v1/cohorts/{cohort.id}/metrics")).json()
            check_cohort_deals_and_feedback(cm, ids)
            lines = {p["partner_id"]: p for p in cm["partners"]}
            assert (lines[adatum]["registered"], lines[adatum]["won"]) == (3, 1)
            assert lines[northwind]["time_to_first_deal"] is None
            assert cm["partners_with_deal"] == 2
            first = lines[adatum]["time_to_first_deal"]
            await check_first_deal_is_the_timelines(sessions, journey_id(cohort.id, adatum), first, starts, ids["won"])

            pm = (await api.get(f"/api/v1/partners/{litware}/metrics")).json()
            assert pm["deals"]["registered"]["count"] == 2 and pm["deals"]["rejected"]["count"] == 1
            assert pm["deals"]["win_rate"] == {"value": None, "numerator": 0, "denominator": 0}
            assert pm["feedback"]["response_rate"]["value"] is None
            assert pm["time_to_first_deal"]["deal_id"] == ids["rejected"]
            assert ids["registered_stage"] == "registered"
            pa = (await api.get(f"/api/v1/partners/{adatum}/metrics", params={"program": "Test program"})).json()
            assert pa["deals"]["won"]["count"] == 1 and pa["feedback"]["ae_referrals"]["count"] == 1
            assert (await api.get("/api/v1/partners/nope/metrics")).status_code == 404
            assert (await api.get("/api/v1/cohorts/nope/metrics")).status_code == 404
