"""Co-sell metrics equal what the deals, the AE feedback and the journey timeline say."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from db.models import AeFeedback, JourneyEvent
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


class TestMetrics:
    async def test_cohort_and_partner_metrics_match_deals_feedback_and_timeline(
        self, dev_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        starts = datetime.now(UTC) - timedelta(days=6, hours=12)
        cohort = await create_cohort(sessions, PARTNERS, starts_at=starts)
        adatum, litware, northwind = await partner_ids(sessions, cohort.id)
        async with transaction(sessions) as session:
            for pid in (adatum, litware, northwind):
                await journeys.save_journey(
                    session,
                    dict(
                        id=journey_id(cohort.id, pid),
                        cohort_id=cohort.id,
                        partner_id=pid,
                        stage="activation",
                        status="waiting",
                        started_at=starts,
                        updated_at=starts,
                    ),
                )
        dana = await add_ae(sessions, "dana.whitfield@vendor.example", "Dana Whitfield")
        ae = {"ae_email": "dana.whitfield@vendor.example"}
        async with api_client(settings_for(sessions), dev_env.client) as api:
            won = (await post(api, deal("PRT-0042", account_domain="contoso-pharma.com", amount=180000, **ae))).json()
            live = (
                await post(
                    api,
                    deal(
                        "PRT-0042", account_name="Fabrikam", account_domain="fabrikam.com", amount=52000, currency="EUR"
                    ),
                )
            ).json()
            lost = (
                await post(
                    api,
                    deal(
                        "PRT-0042", account_name="Tailspin Toys", account_domain="tailspin.example", amount=95000, **ae
                    ),
                )
            ).json()
            rejected = (
                await post(
                    api,
                    deal(
                        "PRT-0107",
                        account_name="Woodgrove Bank",
                        account_domain="woodgrove.example",
                        amount=310000,
                        partner_role="influenced",
                    ),
                )
            ).json()
            registered = (
                await post(
                    api, deal("PRT-0107", account_name="Coho Winery", account_domain="cohowinery.example", amount=56000)
                )
            ).json()
            await move(api, won["id"], "accepted", "open", "closed_won")
            await move(api, live["id"], "accepted")
            await move(api, lost["id"], "accepted", "closed_lost")
            await move(api, rejected["id"], "rejected")
            said = await api.patch(f"/api/v1/deals/{live['id']}", json={"attribution": "accelerated"})
            assert said.status_code == 200
            await feedback(
                sessions,
                won["id"],
                dana,
                adatum,
                status="submitted",
                contribution="sourced",
                role_clarity=4,
                responsiveness=5,
                invite_again=True,
            )
            await feedback(sessions, lost["id"], dana, adatum, status="expired")

            cm = (await api.get(f"/api/v1/cohorts/{cohort.id}/metrics")).json()
            d = cm["deals"]
            assert d["registered"]["count"] == 5
            assert sorted(d["accepted"]["deal_ids"]) == sorted([won["id"], live["id"], lost["id"]])
            assert d["rejected"]["deal_ids"] == [rejected["id"]]
            assert d["open"]["deal_ids"] == [live["id"]]
            assert (d["won"]["deal_ids"], d["lost"]["deal_ids"]) == ([won["id"]], [lost["id"]])
            assert d["win_rate"] == {"value": 0.5, "numerator": 1, "denominator": 2}
            assert d["pipeline_amount"] == {"EUR": 52000} and d["won_amount"] == {"USD": 180000}
            attribution = {k: v["count"] for k, v in d["attribution"].items()}
            assert attribution == {"sourced": 3, "influenced": 1, "accelerated": 1, "none": 0}
            assert d["attribution"]["accelerated"]["deal_ids"] == [live["id"]]
            f = cm["feedback"]
            assert (f["requested"], f["submitted"], f["expired"], f["pending"]) == (2, 1, 1, 0)
            assert f["response_rate"] == {"value": 0.5, "numerator": 1, "denominator": 2}
            assert f["ae_referrals"] == {"count": 1, "deal_ids": [won["id"]]}
            assert (f["avg_role_clarity"], f["avg_responsiveness"]) == (4.0, 5.0)
            lines = {p["partner_id"]: p for p in cm["partners"]}
            assert (lines[adatum]["registered"], lines[adatum]["won"]) == (3, 1)
            assert lines[northwind]["time_to_first_deal"] is None
            assert cm["partners_with_deal"] == 2

            # Time to first deal is the timeline's first deal_registered event, counted from the window start.
            async with transaction(sessions) as session:
                first_event = await session.scalar(
                    select(JourneyEvent)
                    .where(
                        JourneyEvent.journey_id == journey_id(cohort.id, adatum), JourneyEvent.kind == "deal_registered"
                    )
                    .order_by(JourneyEvent.occurred_at)
                    .limit(1)
                )
            assert first_event is not None
            first = lines[adatum]["time_to_first_deal"]
            assert first["deal_id"] == first_event.data["deal_id"] == won["id"]
            assert datetime.fromisoformat(first["registered_at"]) == first_event.occurred_at
            assert first["days"] == round((first_event.occurred_at - starts).total_seconds() / 86400, 2)
            assert 6.4 < first["days"] < 6.6
            # The timeline tells each deal's story the metrics count.
            async with transaction(sessions) as session:
                kinds = set(
                    await session.scalars(
                        select(JourneyEvent.kind).where(JourneyEvent.journey_id == journey_id(cohort.id, adatum))
                    )
                )
            assert {"deal_registered", "deal_accepted", "deal_open", "deal_closed_won", "deal_closed_lost"} <= kinds

            pm = (await api.get(f"/api/v1/partners/{litware}/metrics")).json()
            assert pm["deals"]["registered"]["count"] == 2 and pm["deals"]["rejected"]["count"] == 1
            assert pm["deals"]["win_rate"] == {"value": None, "numerator": 0, "denominator": 0}
            assert pm["feedback"]["response_rate"]["value"] is None
            assert pm["time_to_first_deal"]["deal_id"] == rejected["id"]
            assert registered["stage"] == "registered"
            pa = (await api.get(f"/api/v1/partners/{adatum}/metrics", params={"program": "Test program"})).json()
            assert pa["deals"]["won"]["count"] == 1 and pa["feedback"]["ae_referrals"]["count"] == 1
            assert (await api.get("/api/v1/partners/nope/metrics")).status_code == 404
            assert (await api.get("/api/v1/cohorts/nope/metrics")).status_code == 404
