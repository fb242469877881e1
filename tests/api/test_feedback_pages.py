"""The AE feedback form over HTTP (ASGI) with a real AeFeedbackWorkflow on the time-skipping server,
and the PM's trust endpoint. SQLite and Postgres."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
from sqlalchemy import update
from temporalio.testing import WorkflowEnvironment

from api.feedback.start import request_feedback
from api.link_pages.csrf import CSRF_COOKIE
from db.cosell_models import AeFeedback
from db.session import SessionFactory, transaction
from domain.links import FeedbackClaims, StepClaims
from settings import Settings
from tests.api.helpers import api_client
from tests.factories import create_cohort, partner, settings_for
from tests.waiting import eventually
from tests.workflows.feedback_helpers import add_ae, add_deal, feedback_emails, feedback_row
from tests.workflows.helpers import partner_ids, running_worker
from wiring import make_signer

FORM = {
    "contribution": "accelerated",
    "role_clarity": "4",
    "responsiveness": "5",
    "invite_again": "yes",
    "comment": "Brought their FHIR migration accelerator to the second call; cut two weeks from the POC.",
}


def hidden(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]+)"', html))


@asynccontextmanager
async def feedback_requested(
    ts_env: WorkflowEnvironment, sessions: SessionFactory, **deal: object
) -> AsyncIterator[tuple[Settings, httpx.AsyncClient, str, str, str, str]]:
    """A closed deal whose AE has been asked; yields (settings, client, partner, deal, ae, link path)."""
    settings = settings_for(sessions)
    now = await ts_env.get_current_time()
    cohort = await create_cohort(
        sessions, [partner("Fabrikam Cloud Partners", "SI")], starts_at=now, pm_email="alliances-pm@vendor.example"
    )
    [pid] = await partner_ids(sessions, cohort.id)
    ae = await add_ae(sessions)
    deal_id = await add_deal(sessions, cohort.id, pid, ae, registered_at=now, **deal)  # type: ignore[arg-type]
    async with running_worker(ts_env.client, settings, sessions), api_client(settings, ts_env.client) as client:
        assert await request_feedback(ts_env.client, settings, deal_id, ae, pid)

        async def sent() -> list:
            return [m for m in await feedback_emails(sessions, deal_id) if m.status == "sent"]

        [mail] = await eventually(sent, what="the feedback request sent")
        path = re.search(r"https?://[^/]+(/ae/feedback/[A-Za-z0-9_.\-]+)", mail.text)
        assert path is not None
        yield settings, client, pid, deal_id, ae, path.group(1)


class TestFeedbackForm:
    async def test_get_shows_the_deal_and_never_records(
        self, ts_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        async with feedback_requested(ts_env, sessions) as (_, client, _pid, deal, ae, link):
            page = await client.get(link)
            again = await client.head(link)
        assert page.status_code == 200 and again.status_code in (200, 405)
        assert "How did Fabrikam Cloud Partners do?" in page.text
        assert "Contoso Health" in page.text and "USD 180,000" in page.text and "Closed won" in page.text
        assert 'type="radio" name="contribution" value="sourced"' in page.text
        assert page.headers["referrer-policy"] == "no-referrer" and page.headers["cache-control"] == "no-store"
        assert CSRF_COOKIE in page.cookies
        row = await feedback_row(sessions, deal, ae)
        assert row is not None and row.submitted_at is None and row.status == "requested"

    async def test_post_needs_the_csrf_cookie_and_a_same_origin_request(
        self, ts_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        async with feedback_requested(ts_env, sessions) as (_, client, _pid, deal, ae, link):
            fields = hidden((await client.get(link)).text)
            forged = await client.post(link, data={**fields, **FORM, "csrf": "forged"})
            cross_site = await client.post(link, data={**fields, **FORM}, headers={"Sec-Fetch-Site": "cross-site"})
            client.cookies.clear()
            no_cookie = await client.post(link, data={**fields, **FORM})
        assert (forged.status_code, cross_site.status_code, no_cookie.status_code) == (403, 403, 403)
        row = await feedback_row(sessions, deal, ae)
        assert row is not None and row.submitted_at is None

    async def test_submit_redirects_to_a_token_free_thank_you_then_a_resubmission_updates(
        self, ts_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        async with feedback_requested(ts_env, sessions) as (_, client, pid, deal, ae, link):
            fields = hidden((await client.get(link)).text)
            invalid = await client.post(link, data={**fields, **FORM, "role_clarity": "", "invite_again": "maybe"})
            assert invalid.status_code == 422
            assert "Choose a rating from 1 to 5" in invalid.text and "Answer yes or no" in invalid.text
            assert "FHIR migration accelerator" in invalid.text  # what they typed is kept

            sent = await client.post(link, data={**fields, **FORM})
            assert sent.status_code == 303 and sent.headers["location"] == "/ae/feedback/done"
            thanks = await client.get("/ae/feedback/done")
            assert thanks.status_code == 200 and "your feedback on Fabrikam Cloud Partners is recorded" in thanks.text

            revisit = await client.get(link)
            assert "You answered on" in revisit.text and "Update my feedback" in revisit.text
            assert (
                'value="accelerated" checked' in revisit.text
                and 'name="role_clarity" value="4" checked' in revisit.text
            )
            fields = hidden(revisit.text)
            revised = await client.post(link, data={**fields, **FORM, "contribution": "sourced", "invite_again": "no"})
            assert revised.status_code == 303

            trust = await client.get(f"/api/v1/partners/{pid}/trust")
            unauthorized = await client.get(f"/api/v1/partners/{pid}/trust", headers={"Authorization": "Bearer nope"})
            missing = await client.get("/api/v1/partners/no-such-partner/trust")
        row = await feedback_row(sessions, deal, ae)
        assert row is not None
        assert (row.status, row.revisions, row.contribution, row.invite_again) == ("submitted", 2, "sourced", False)
        assert (unauthorized.status_code, missing.status_code) == (401, 404)
        body = trust.json()
        assert trust.status_code == 200 and body["trust_score"] == 50 + 15 - 15 + 3 + 6
        assert [s["source"] for s in body["explanation"]] == ["baseline", "ae_feedback"]
        assert body["explanation"][1]["parts"] == {
            "invite_again": -15,
            "contribution": 15,
            "role_clarity": 3,
            "responsiveness": 6,
        }
        [given] = body["feedback"]
        assert given["account"] == "Contoso Health" and given["ae"]["name"] == "Jordan Reyes"
        assert given["answers"]["contribution"] == "sourced" and given["revisions"] == 2

    async def test_after_expiry_the_page_says_the_form_closed(
        self, ts_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        async with feedback_requested(ts_env, sessions) as (_, client, _pid, deal, ae, link):
            fields = hidden((await client.get(link)).text)
            async with transaction(sessions) as session:
                expired = (await ts_env.get_current_time()) - timedelta(minutes=1)
                await session.execute(
                    update(AeFeedback)
                    .where(AeFeedback.deal_id == deal, AeFeedback.ae_id == ae)
                    .values(expires_at=expired, status="expired")
                )
            page = await client.get(link)
            post = await client.post(link, data={**fields, **FORM})
        assert page.status_code == 410 and "This feedback form has closed" in page.text
        assert "alliances-pm@vendor.example" in page.text  # who to contact instead
        assert post.status_code == 410
        row = await feedback_row(sessions, deal, ae)
        assert row is not None and row.submitted_at is None

    async def test_tampered_foreign_and_unknown_links_get_the_same_404(
        self, ts_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        async with feedback_requested(ts_env, sessions) as (settings, client, _pid, deal, ae, link):
            signer = make_signer(settings)
            tampered = await client.get(link[:-3] + ("xyz" if not link.endswith("xyz") else "abc"))
            other_ae = await client.get(f"/ae/feedback/{signer.sign_feedback(FeedbackClaims(deal, 'someone-else'))}")
            step_token = await client.get(f"/ae/feedback/{signer.sign_step(StepClaims(f'feedback/{deal}', ae))}")
        pages = [tampered, other_ae, step_token]
        assert [p.status_code for p in pages] == [404, 404, 404]
        assert len({p.text for p in pages}) == 1
