"""The signed-link pages over HTTP, against a real journey on the Temporal dev server."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from unittest import mock

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from db.models import EmailOutbox, Suppression
from db.session import SessionFactory, transaction
from domain.links import LinkSigner, StepClaims, UnsubscribeClaims
from settings import Settings
from tests.api.helpers import api_client
from tests.factories import create_cohort, partner, settings_for
from tests.waiting import eventually
from tests.workflows.helpers import events, partner_ids, running_worker, start_journey, steps
from wiring import make_signer
from workflows.journey.messages import journey_id

pytestmark = pytest.mark.e2e
GOOD = {"industry": "Healthcare", "company_size": "800", "trigger": "Exiting their data centre in 2027"}
ALPHA = "alliances@alpha-analytics.example"


@dataclass
class Journeys:
    http: httpx.AsyncClient
    sessions: SessionFactory
    settings: Settings
    signer: LinkSigner
    paths: dict[str, str]  # contact email -> /p/<token> of the first invite
    jids: dict[str, str]


async def invites(sessions: SessionFactory, count: int) -> list[EmailOutbox]:
    async def arrived() -> list[EmailOutbox]:
        async with transaction(sessions) as session:
            rows = list(await session.scalars(select(EmailOutbox).where(EmailOutbox.kind == "step_invite")))
        assert len(rows) >= count, [r.to_email for r in rows]
        return rows

    return await eventually(arrived, what=f"{count} step invites queued")


@pytest_asyncio.fixture
async def pages(dev_env: WorkflowEnvironment, sqlite_sessions: SessionFactory, request: Any) -> AsyncIterator[Journeys]:
    overrides = getattr(request, "param", {})
    settings = settings_for(sqlite_sessions, **overrides)
    cohort = await create_cohort(
        sqlite_sessions, [partner("Alpha Analytics"), partner("Beta Builders")], pm_email="pm@vendor.example"
    )
    pids = await partner_ids(sqlite_sessions, cohort.id)
    async with running_worker(dev_env.client, settings, sqlite_sessions):
        for pid in pids:
            await start_journey(dev_env.client, settings, cohort, pid)
        rows = await invites(sqlite_sessions, 2)
        paths = {r.to_email: re.search(r"/p/[\w.-]+", r.text).group(0) for r in rows}  # type: ignore[union-attr]
        jids = {r.to_email: r.journey_id or "" for r in rows}
        async with api_client(settings, dev_env.client) as http:
            yield Journeys(http, sqlite_sessions, settings, make_signer(settings), paths, jids)
    assert journey_id(cohort.id, pids[0]) in jids.values()


def hidden(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]+)"', html))


class TestShowing:
    async def test_a_get_only_shows_and_the_page_is_private(self, pages: Journeys) -> None:
        path = pages.paths[ALPHA]
        for _ in range(2):
            page = await pages.http.get(path)
        head = await pages.http.head(path)
        assert page.status_code == 200 and head.status_code in (200, 405)
        assert head.headers["cache-control"] == "no-store" and head.headers["referrer-policy"] == "no-referrer"
        assert "Describe your ideal customer" in page.text and "What good looks like" in page.text
        for name, value in {
            "referrer-policy": "no-referrer",
            "cache-control": "no-store",
            "x-frame-options": "DENY",
            "x-content-type-options": "nosniff",
        }.items():
            assert page.headers[name] == value
        assert "default-src 'none'" in page.headers["content-security-policy"]
        cookie = page.headers["set-cookie"]
        assert "cosell_csrf=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
        assert "Path=/p" in cookie
        assert (await steps(pages.sessions, pages.jids[ALPHA]))["icp"].status == "invited"  # nothing changed

    async def test_tampered_foreign_and_unknown_links_get_the_same_404(self, pages: Journeys) -> None:
        path = pages.paths[ALPHA]
        beta = pages.jids["alliances@beta-builders.example"]
        foreign = pages.signer.sign_step(StepClaims(journey_id=beta, step_key="rules"))  # not invited yet
        unknown = pages.signer.sign_step(StepClaims(journey_id=beta.rsplit("/", 1)[0] + "/nobody", step_key="icp"))
        answers = [
            await pages.http.get(path[:-4] + ("AAAA" if not path.endswith("AAAA") else "BBBB")),
            await pages.http.get(f"/p/{foreign}"),
            await pages.http.get(f"/p/{unknown}"),
            await pages.http.get("/p/garbage"),
        ]
        assert {a.status_code for a in answers} == {404}
        assert len({a.text for a in answers}) == 1  # nothing tells which case it was
        assert (await pages.http.get(pages.paths["alliances@beta-builders.example"])).status_code == 200


class TestSubmitting:
    async def test_csrf_cookie_token_and_origin_are_all_required(self, pages: Journeys) -> None:
        path = pages.paths[ALPHA]
        page = await pages.http.get(path)
        form = {**hidden(page.text), **GOOD}
        csrf = form["csrf"]
        attempts: dict[str, tuple[dict[str, str], dict[str, str], dict[str, str]]] = {
            "no cookie": ({}, form, {}),
            "form value differs": ({"cosell_csrf": csrf}, {**form, "csrf": csrf + "x"}, {}),
            "unsigned double submit": ({"cosell_csrf": "forged"}, {**form, "csrf": "forged"}, {}),
            "cross-site fetch": ({"cosell_csrf": csrf}, form, {"Sec-Fetch-Site": "cross-site"}),
            "same-site fetch": ({"cosell_csrf": csrf}, form, {"Sec-Fetch-Site": "same-site"}),
            "foreign origin": ({"cosell_csrf": csrf}, form, {"Origin": "https://evil.example"}),
        }
        for name, (cookies, data, headers) in attempts.items():
            pages.http.cookies.clear()
            for key, value in cookies.items():
                pages.http.cookies.set(key, value, path="/p")
            response = await pages.http.post(path, data=data, headers=headers)
            assert response.status_code == 403, name
        assert (await steps(pages.sessions, pages.jids[ALPHA]))["icp"].status == "invited"
        # What a browser sends for this page's own form (no-referrer makes Origin "null") gets through.
        pages.http.cookies.set("cosell_csrf", csrf, path="/p")
        browser = {"Origin": "null", "Sec-Fetch-Site": "same-origin"}
        response = await pages.http.post(path, data={**form, "company_size": "lots"}, headers=browser)
        assert response.status_code == 422

    async def test_field_errors_keep_what_was_typed(self, pages: Journeys) -> None:
        path = pages.paths[ALPHA]
        page = await pages.http.get(path)
        invalid = await pages.http.post(path, data={**hidden(page.text), **GOOD, "company_size": "lots"})
        assert invalid.status_code == 422
        assert 'role="alert"' in invalid.text and "Typical customer size (employees): must be a number" in invalid.text
        assert re.search(r'id="f-company_size"[^>]*value="lots"[^>]*aria-invalid="true"', invalid.text)
        assert 'aria-describedby="e-company_size"' in invalid.text and GOOD["trigger"] in invalid.text
        assert "<option selected>Healthcare</option>" in invalid.text

    async def test_success_redirects_to_a_token_free_confirmation_and_a_second_post_is_already_done(
        self, pages: Journeys
    ) -> None:
        path = pages.paths[ALPHA]
        page = await pages.http.get(path)
        form = {**hidden(page.text), **GOOD}
        done = await pages.http.post(path, data=form)
        assert done.status_code == 303 and done.headers["location"] == "/p/done"
        assert "cosell_done=" in done.headers["set-cookie"] and "HttpOnly" in done.headers["set-cookie"]
        confirmation = await pages.http.get("/p/done")
        assert confirmation.status_code == 200 and "is complete" in confirmation.text
        assert "Next up is <strong>Read the co-sell rules of engagement</strong>, due" in confirmation.text
        assert path.split("/")[-1] not in confirmation.text and confirmation.headers["cache-control"] == "no-store"

        again = await pages.http.post(path, data={**form, "company_size": "900"})
        assert again.status_code == 409 and "already completed" in again.text
        assert "Typical customer size (employees)" in again.text and "800" in again.text and "900" not in again.text
        assert "already completed" in (await pages.http.get(path)).text
        pages.http.cookies.clear()
        assert "Nothing to show here" in (await pages.http.get("/p/done")).text

    async def test_an_expired_link_offers_a_fresh_one_to_the_same_contact_once_a_day(self, pages: Journeys) -> None:
        jid = pages.jids[ALPHA]
        forty_days_ago = int(time.time()) - 40 * 86400
        with mock.patch("itsdangerous.timed.TimestampSigner.get_timestamp", return_value=forty_days_ago):
            old = pages.signer.sign_step(StepClaims(journey_id=jid, step_key="icp"))
        expired = await pages.http.get(f"/p/{old}")
        assert expired.status_code == 410 and "Email me a fresh link" in expired.text
        action = f"/p/{old}/fresh-link"
        assert f'action="{action}"' in expired.text
        assert (await pages.http.post(action, data={"csrf": "x"})).status_code == 403
        sent = await pages.http.post(action, data=hidden(expired.text))
        again = await pages.http.post(action, data=hidden(expired.text))
        assert "Check your inbox" in sent.text and "already sent a fresh link today" in again.text
        async with transaction(pages.sessions) as session:
            [fresh] = await session.scalars(select(EmailOutbox).where(EmailOutbox.kind == "fresh_link"))
        assert (fresh.to_email, fresh.status) == (ALPHA, "sent")
        new_path = re.search(r"/p/[\w.-]+", fresh.text).group(0)  # type: ignore[union-attr]
        assert new_path != f"/p/{old}" and (await pages.http.get(new_path)).status_code == 200
        assert "fresh_link_sent" in [e.kind for e in await events(pages.sessions, jid)]


class TestUnsubscribe:
    async def test_one_click_unsubscribe_stops_reminders_and_tells_the_pm_once(self, pages: Journeys) -> None:
        jid = pages.jids[ALPHA]
        async with transaction(pages.sessions) as session:
            invite = await session.scalar(select(EmailOutbox).where(EmailOutbox.to_email == ALPHA))
        assert invite is not None
        path = f"/p/unsubscribe/{pages.signer.sign_unsubscribe(UnsubscribeClaims(outbox_id=invite.id))}"
        shown = await pages.http.get(path)
        assert shown.status_code == 200 and "Stop reminders" in shown.text
        async with transaction(pages.sessions) as session:
            assert await session.get(Suppression, ALPHA) is None  # showing the page changes nothing
        # RFC 8058: the mailbox provider POSTs this body, with no cookie and no CSRF token.
        for _ in range(2):
            pages.http.cookies.clear()
            done = await pages.http.post(path, content=b"List-Unsubscribe=One-Click")
            assert done.status_code == 200 and "won't get more reminders" in done.text
        async with transaction(pages.sessions) as session:
            suppression = await session.get(Suppression, ALPHA)
            alerts = list(await session.scalars(select(EmailOutbox).where(EmailOutbox.kind == "pm_alert")))
        assert suppression is not None and suppression.scope == "reminders"
        assert [(a.to_email, a.status) for a in alerts] == [("pm@vendor.example", "sent")]
        assert "unsubscribed from reminders" in alerts[0].text
        assert [e.kind for e in await events(pages.sessions, jid)].count("contact_unsubscribed") == 1
        assert (await pages.http.post(path[:-3] + "xyz")).status_code == 404


class TestRateLimits:
    @pytest.mark.parametrize("pages", [{"link_rate_limit_per_token": 3, "link_rate_limit_per_ip": 5}], indirect=True)
    async def test_per_token_then_per_address(self, pages: Journeys) -> None:
        alpha, beta = pages.paths[ALPHA], pages.paths["alliances@beta-builders.example"]
        assert [(await pages.http.get(alpha)).status_code for _ in range(4)] == [200, 200, 200, 429]
        limited = await pages.http.get(alpha)
        assert int(limited.headers["retry-after"]) > 0 and "Too many requests" in limited.text
        # The address has made 5 requests: one more page of any link is refused too.
        assert (await pages.http.get(beta)).status_code == 429
