"""The owner AE's page behind a deal registration's digest link (/ae/deal/<token>): the partner, its
contact and the AE's own accounts in that partner's overlap; a GET only shows; forged, foreign and
expired links show nothing. No Temporal: the page never talks to it."""

from __future__ import annotations

import time
from unittest import mock

from db.session import SessionFactory
from domain.links import DealOverlapClaims, IntroClaims
from tests.api.helpers import api_client
from tests.intro_data import overlap
from tests.workflows.test_ae_deal_news import world
from wiring import make_signer


class TestDealOverlapPage:
    async def test_shows_the_overlap_to_the_owner_ae_only_and_refuses_forged_or_expired_links(
        self, sessions: SessionFactory
    ) -> None:
        w = await world(None, sessions, "Alpha Analytics")
        alpha = w.pids["Alpha Analytics"]
        await overlap(sessions, w.crm, alpha, "Northwind Components", "Contoso Pharmaceuticals", "Fabrikam Logistics")
        deal_id = await w.register("Alpha Analytics", bound=False)
        assert deal_id is not None
        signer = make_signer(w.settings)
        token = signer.sign_deal_overlap(DealOverlapClaims(deal_id=deal_id, ae_id=w.dana))
        async with api_client(w.settings, object()) as http:  # type: ignore[arg-type]
            page = await http.get(f"/ae/deal/{token}")
            assert page.status_code == 200, page.text
            assert page.headers["cache-control"] == "no-store" and page.headers["referrer-policy"] == "no-referrer"
            for text in (
                "Alpha Analytics registered a deal on Contoso Pharmaceuticals",
                "alliances@alpha-analytics.example",
                "Northwind Components",
                "Contoso Pharmaceuticals (this deal)",
                "180,000 USD",
                "before their data-centre lease ends",
            ):
                assert text in page.text, text
            assert "Fabrikam" not in page.text  # in the partner's overlap, but Marcus's account
            assert (await http.post(f"/ae/deal/{token}")).status_code == 405  # nothing to do but look
            marcus = signer.sign_deal_overlap(DealOverlapClaims(deal_id=deal_id, ae_id=w.crm.ae_ids["marcus"]))
            other_purpose = signer.sign_intro(IntroClaims(request_id=deal_id, ae_id=w.dana))
            for refused in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), marcus, other_purpose):
                answer = await http.get(f"/ae/deal/{refused}")
                assert answer.status_code == 404 and "Alpha" not in answer.text
            forty_days_ago = int(time.time()) - 40 * 86400
            with mock.patch("itsdangerous.timed.TimestampSigner.get_timestamp", return_value=forty_days_ago):
                old = signer.sign_deal_overlap(DealOverlapClaims(deal_id=deal_id, ae_id=w.dana))
            expired = await http.get(f"/ae/deal/{old}")
            assert expired.status_code == 410 and "Alpha" not in expired.text
            assert expired.headers["cache-control"] == "no-store"
