"""The dashboard refuses what it must: signed-out visitors, another manager's program, forged or missing
CSRF, expired and reused sign-in links, and sessions ended by sign-out-everywhere or by their limits."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from temporalio.testing import WorkflowEnvironment

from api.cohorts import service as cohort_service
from api.dashboard.auth import hash_token
from db.cosell_models import Deal
from db.models import AuditLog
from db.session import SessionFactory, transaction
from db.user_models import SignInLink, UserSession
from db.views import dashboard
from tests.dashboard_data import (
    Programs,
    browser,
    csrf_of,
    dashboard_app,
    request_link,
    sign_in,
    two_programs,
    use_link,
)
from tests.factories import settings_for

PAGES = [
    "/",
    "/cohorts",
    "/cohorts/{a}",
    "/partners/{pa}",
    "/cohorts/{a}/window/pause",
    "/cohorts/{a}/steer/reschedule",
]
PAGES += ["/cohorts/{a}/steer/cancel"]


async def audits(sessions: SessionFactory, action: str) -> list[str]:
    async with transaction(sessions) as session:
        return list(await session.scalars(select(AuditLog.actor).where(AuditLog.action == action)))


async def shift(sessions: SessionFactory, model: type, column: str, by: timedelta) -> None:
    """Move a time column of every row: the clock jumping forward, without waiting for it."""
    async with transaction(sessions) as session:
        for row in await session.scalars(select(model)):
            setattr(row, column, getattr(row, column) + by)


async def deal_in_each_program(sessions: SessionFactory, ids: Programs) -> None:
    """Alpha registered one deal in its own program A and one in program B."""
    async with transaction(sessions) as session:
        for cohort_id, name in ((ids.cohort_a, "Visible Account A"), (ids.cohort_b, "Secret Account B")):
            session.add(
                Deal(
                    id=str(uuid.uuid4()),
                    program_id=await dashboard.program_of_cohort(session, cohort_id),
                    partner_id=ids.partner_a,
                    account_name=name,
                    account_key=name.lower(),
                    source="pm",
                    partner_role="sourced",
                    registered_at=datetime.now(UTC),
                )
            )


def deals_section(html: str) -> str:
    # Only the deals table: the signals judge the whole partner (as the API does) and may name any deal.
    return html.split('id="deals"', 1)[1].split('id="timeline"', 1)[0]


class TestSignedOut:
    async def test_every_page_and_form_redirects_to_sign_in_and_back(
        self, dev_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
    ) -> None:
        ids = await two_programs(sqlite_sessions)
        settings = settings_for(sqlite_sessions)
        async with dashboard_app(settings, dev_env.client) as app, browser(app) as anon:
            for path in [p.format(a=ids.cohort_a, pa=ids.partner_a) for p in PAGES]:
                answer = await anon.get(path)
                assert answer.status_code == 303, path
                assert answer.headers["location"] == f"/signin?next={path}"
                assert answer.headers["cache-control"] == "no-store"
            for path in ("/signout", "/signout/everywhere", f"/cohorts/{ids.cohort_a}/window/pause"):
                refused = await anon.post(path, data={"csrf": "x"})
                assert refused.status_code == 303 and refused.headers["location"] == "/signin?next=/", path
            assert await audits(sqlite_sessions, "pause") == []

            board = f"/cohorts/{ids.cohort_a}?stage=awareness"
            landed = await sign_in(anon, "ann@a.example", board)
            assert landed.headers["location"] == board
            cookie = landed.headers["set-cookie"].lower()
            assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
            assert (await anon.get(board)).status_code == 200

    async def test_next_only_goes_to_this_site(
        self, dev_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
    ) -> None:
        await two_programs(sqlite_sessions)
        settings = settings_for(sqlite_sessions, public_base_url="https://cosell.example")
        async with dashboard_app(settings, dev_env.client) as app:
            for evil in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
                async with browser(app) as client:
                    landed = await sign_in(client, "ann@a.example", evil)
                    assert landed.headers["location"] == "/", evil
                    assert "secure" in landed.headers["set-cookie"].lower()  # https: the cookie is Secure


class TestPrograms:
    async def test_a_manager_sees_only_their_program_and_an_admin_sees_all(
        self, dev_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        """On SQLite and Postgres: the cohort listing's grouped counts run on both."""
        ids = await two_programs(sessions)
        settings = settings_for(sessions)
        async with dashboard_app(settings, dev_env.client) as app, browser(app) as ann, browser(app) as root:
            await sign_in(ann, "ANN@a.example")  # addresses are case-insensitive
            await sign_in(root, "root@admin.example")
            listing = (await ann.get("/cohorts")).text
            assert "Cohort A" in listing and "Cohort B" not in listing
            for path in (
                f"/cohorts/{ids.cohort_b}",
                f"/partners/{ids.partner_b}",
                f"/cohorts/{ids.cohort_b}/window/pause",
            ):
                assert (await ann.get(path)).status_code == 404, path
                assert (await root.get(path)).status_code == 200, path
            assert (await ann.get(f"/cohorts/{ids.cohort_a}")).status_code == 200
            assert (await ann.get(f"/partners/{ids.partner_a}")).status_code == 200
            assert "Cohort B" in (await root.get("/cohorts")).text

            await deal_in_each_program(sessions, ids)
            mine = deals_section((await ann.get(f"/partners/{ids.partner_a}")).text)
            assert "Visible Account A" in mine and "Secret Account B" not in mine
            everything = deals_section((await root.get(f"/partners/{ids.partner_a}")).text)
            assert "Visible Account A" in everything and "Secret Account B" in everything

            token = csrf_of((await ann.get(f"/cohorts/{ids.cohort_a}")).text)
            foreign = await ann.post(f"/cohorts/{ids.cohort_b}/window/pause", data={"csrf": token})
            assert foreign.status_code == 404
            assert await audits(sessions, "pause") == []


class TestCsrf:
    async def test_missing_forged_or_cross_site_forms_are_refused(
        self, dev_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
    ) -> None:
        ids = await two_programs(sqlite_sessions)
        settings = settings_for(sqlite_sessions)
        pause = f"/cohorts/{ids.cohort_a}/window/pause"
        async with transaction(sqlite_sessions) as session:
            cohort = await cohort_service.get(session, ids.cohort_a)
        await cohort_service.launch(dev_env.client, settings.task_queue, cohort)  # no worker: signals just queue
        async with dashboard_app(settings, dev_env.client) as app, browser(app) as ann:
            assert (await ann.post("/signin", data={"email": "ann@a.example"})).status_code == 403
            await sign_in(ann, "ann@a.example")
            token = csrf_of((await ann.get(pause)).text)
            assert (await ann.post(pause, data={})).status_code == 403
            assert (await ann.post(pause, data={"csrf": token + "x"})).status_code == 403
            ann.cookies.set("cosell_csrf", "forged", path="/")
            assert (await ann.post(pause, data={"csrf": "forged"})).status_code == 403
            ann.cookies.set("cosell_csrf", token, path="/")
            cross = await ann.post(pause, data={"csrf": token}, headers={"Sec-Fetch-Site": "cross-site"})
            assert cross.status_code == 403
            assert await audits(sqlite_sessions, "pause") == []

            done = await ann.post(pause, data={"csrf": token, "key": "k1"})  # the same form, genuine
            assert done.status_code == 303 and done.headers["location"] == f"/cohorts/{ids.cohort_a}?done=pause"
            assert await audits(sqlite_sessions, "pause") == ["user:ann@a.example"]
        await dev_env.client.get_workflow_handle(cohort.window_workflow_id).terminate("test over")


class TestLinksAndSessions:
    async def test_a_link_works_once_and_not_after_it_expired(
        self, dev_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        await two_programs(sessions)
        settings = settings_for(sessions)
        async with dashboard_app(settings, dev_env.client) as app, browser(app) as ann, browser(app) as other:
            link = await request_link(ann, "ann@a.example")
            assert (await use_link(ann, link)).status_code == 303
            again = await other.get(link)
            assert again.status_code == 410 and "already been used" in again.text
            token = csrf_of((await other.get("/signin")).text)
            replay = await other.post(link, data={"csrf": token})
            assert replay.status_code == 410 and "cosell_session" not in replay.headers.get("set-cookie", "")
            assert (await other.get("/")).status_code == 303

            stale = await request_link(other, "ann@a.example")
            page = await other.get(stale)
            await shift(sessions, SignInLink, "expires_at", -timedelta(minutes=30))
            late = await other.post(stale, data={"csrf": csrf_of(page.text)})
            assert late.status_code == 410 and "expired" in late.text
            assert (await other.get("/")).status_code == 303

            tampered = link[:-3] + ("aaa" if not link.endswith("aaa") else "bbb")
            assert (await other.get(tampered)).status_code == 410

    async def test_sign_out_everywhere_ends_every_session_of_that_user(
        self, dev_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
    ) -> None:
        await two_programs(sqlite_sessions)
        settings = settings_for(sqlite_sessions)
        async with (
            dashboard_app(settings, dev_env.client) as app,
            browser(app) as laptop,
            browser(app) as phone,
            browser(app) as bob,
        ):
            for client, email in ((laptop, "ann@a.example"), (phone, "ann@a.example"), (bob, "bob@b.example")):
                await sign_in(client, email)
                assert (await client.get("/")).status_code == 200
            token = csrf_of((await laptop.get("/")).text)
            assert (await laptop.post("/signout/everywhere", data={"csrf": token})).status_code == 303
            assert (await laptop.get("/")).status_code == 303
            assert (await phone.get("/")).status_code == 303
            assert (await bob.get("/")).status_code == 200  # another user's session is untouched

            await sign_in(phone, "ann@a.example")
            assert (
                await phone.post("/signout", data={"csrf": csrf_of((await phone.get("/")).text)})
            ).status_code == 303
            assert (await phone.get("/")).status_code == 303

    @pytest.mark.parametrize(
        ("column", "by"), [("last_seen_at", timedelta(hours=-13)), ("expires_at", timedelta(days=-15))]
    )
    async def test_idle_and_absolute_limits_end_a_session(
        self, dev_env: WorkflowEnvironment, sqlite_sessions: SessionFactory, column: str, by: timedelta
    ) -> None:
        await two_programs(sqlite_sessions)
        settings = settings_for(sqlite_sessions)
        async with dashboard_app(settings, dev_env.client) as app, browser(app) as ann:
            await sign_in(ann, "ann@a.example")
            assert (await ann.get("/")).status_code == 200
            await shift(sqlite_sessions, UserSession, column, by)
            assert (await ann.get("/")).status_code == 303
            async with transaction(sqlite_sessions) as session:
                stored = await session.scalar(select(func.count()).select_from(UserSession))
                hashes = list(await session.scalars(select(UserSession.token_hash)))
            cookie = ann.cookies.get("cosell_session") or ""
            assert stored == 1 and hashes == [hash_token(cookie)] != [cookie]  # only the hash is stored


class TestFlooding:
    async def test_the_sign_in_form_sends_at_most_five_links_per_address(
        self, dev_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
    ) -> None:
        await two_programs(sqlite_sessions)
        settings = settings_for(sqlite_sessions)
        async with dashboard_app(settings, dev_env.client) as app, browser(app) as client:
            token = csrf_of((await client.get("/signin")).text)
            for email in ["ann@a.example"] * 4 + ["ANN@a.example"] * 3 + ["bob@b.example"]:
                sent = await client.post("/signin", data={"email": email, "csrf": token})
                assert sent.status_code == 200 and "Check your email" in sent.text
            messages = (await client.get("/dev/inbox/messages")).json()
            to = [m["to"] for m in messages if m["kind"] == "pm_sign_in"]
            assert sum("ann@a.example" in t for t in to) == 5 and sum("bob@b.example" in t for t in to) == 1
