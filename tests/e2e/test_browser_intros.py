"""Account mapping and an AE introduction in a real browser (Debian's headless Chromium): the partner's
invite from the dev inbox -> upload a CSV -> check -> confirm -> the overlap -> the intro request step ->
the owner AE's digest in the dev inbox -> the accept link -> answer. Screenshots in test-artifacts/browser/."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from db.cosell_models import IntroRequest
from db.session import SessionFactory, transaction
from tests.api.helpers import PM
from tests.e2e.test_browser import ARGS, CHROMIUM, shot
from tests.e2e.test_browser_dashboard import accessible
from tests.e2e.test_walking_skeleton import free_port, serving, until
from tests.factories import cohort_body, partner, settings_for
from tests.intro_data import EXPECTED_OVERLAP, HUBSPOT_PARTNER_EXPORT, seed_crm
from tests.workflows.helpers import running_worker
from workflows.intro_batch.workflow import IntroBatchWorkflow

pytestmark = pytest.mark.e2e
WHY = (
    "Northwind is moving its plant-floor data to the cloud in Q3; we run their MES today and would bring our "
    "predictive-maintenance use case. Ask: 20 minutes to compare account plans."
)


@pytest_asyncio.fixture
async def chromium() -> AsyncIterator[Browser]:
    if not CHROMIUM:
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        await browser.close()


async def intro_rows(sessions: SessionFactory) -> list[IntroRequest]:
    async with transaction(sessions) as session:
        return list(await session.scalars(select(IntroRequest)))


async def upload_and_see_the_overlap(page: Page, base: str, export: Path) -> None:
    """The partner: invite -> upload -> check -> confirm -> overlap."""
    await page.goto(f"{base}/dev/inbox")
    await page.locator("tr", has_text="Share your account list").get_by_role("link", name="open step").click()
    await expect(page.get_by_role("heading", name="Upload your customer and target account list")).to_be_visible()
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    await shot(page, "intro-01-upload-page")
    await page.get_by_label("A CSV file").set_input_files(str(export))
    await page.get_by_role("button", name="Check my list").click()
    await expect(
        page.get_by_role("heading", name=re.compile("We read 4 accounts; 3 rows had problems"))
    ).to_be_visible()
    await expect(page.get_by_text("line 6: same account as line 2")).to_be_visible()
    await shot(page, "intro-02-preview-with-problems")
    await page.get_by_role("button", name="Confirm 4 accounts").click()
    await expect(page.get_by_role("heading", name="Where we overlap: 3 accounts")).to_be_visible()
    assert page.url == f"{base}/p/done"
    rows = page.locator("table tbody tr td:first-child")
    assert await rows.all_inner_texts() == EXPECTED_OVERLAP
    await expect(page.locator("table")).to_contain_text("Dana Whitfield")
    await expect(page.locator("body")).not_to_contain_text("Tailspin Wind")
    await shot(page, "intro-03-overlap")


async def request_an_intro(page: Page, link: str) -> None:
    """The intro request step, from its own invite."""
    await page.goto(link)
    await expect(page.get_by_role("heading", name="Request an introduction on an overlapping account")).to_be_visible()
    await page.get_by_label(re.compile("Northwind Components")).check()
    await page.get_by_label("Why is this relevant now?").fill(WHY)
    await shot(page, "intro-04-request-form")
    await page.get_by_role("button", name="Send my request").click()
    await expect(page.get_by_role("heading", name=re.compile("your intro request is on its way"))).to_be_visible()
    await shot(page, "intro-05-request-sent")


async def accept_as_the_ae(context: BrowserContext, accept: str, base: str, sessions: SessionFactory) -> None:
    """The AE opens the digest's accept link (which preselects, records nothing) and answers."""
    ae_page = await context.new_page()
    await ae_page.goto(accept)
    await expect(
        ae_page.get_by_role("heading", name="Alpha Analytics asks for an introduction at Northwind Components")
    ).to_be_visible()
    await expect(ae_page.get_by_role("radio", name=re.compile("^Accept"))).to_be_checked()
    assert (await intro_rows(sessions))[0].status == "sent"  # opening the link recorded nothing
    await ae_page.get_by_label(re.compile("A note for Alpha Analytics")).fill("Meeting their CIO on the 14th.")
    await shot(ae_page, "intro-06-ae-answer-page")
    await ae_page.get_by_role("button", name="Send my answer").click()
    await expect(ae_page.get_by_role("heading", name=re.compile("your answer is recorded"))).to_be_visible()
    assert ae_page.url == f"{base}/ae/intro/done"
    await shot(ae_page, "intro-07-ae-answered")


async def open_the_seller_page(chromium: Browser, link: str) -> None:
    """The AE on a call, on a phone: when to bring Alpha in; no sideways scrolling, axe finds nothing serious.
    (The page's CSP lets no script in; only the test's axe-core, by the browser, not the app.)"""
    context = await chromium.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, bypass_csp=True
    )
    page = await context.new_page()
    await page.goto(link)
    await expect(page.get_by_role("heading", name="Alpha Analytics at Northwind Components")).to_be_visible()
    await expect(page.get_by_role("heading", name="When to bring them in")).to_be_visible()
    await shot(page, "intro-08-ae-seller-page")
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    await accessible(page, "seller page")
    await context.close()


async def test_partner_maps_accounts_and_an_ae_accepts_the_intro_in_a_real_browser(
    chromium: Browser, dev_env: WorkflowEnvironment, sqlite_sessions: SessionFactory, tmp_path: Path
) -> None:
    port = free_port()
    settings = settings_for(sqlite_sessions, api_port=port, public_base_url=f"http://127.0.0.1:{port}")
    await seed_crm(sqlite_sessions)
    export = tmp_path / "hubspot-companies-2026-11.csv"
    export.write_text(HUBSPOT_PARTNER_EXPORT)
    async with (
        running_worker(dev_env.client, settings, sqlite_sessions),
        serving(settings, dev_env) as base,
        httpx.AsyncClient(base_url=base, headers=PM) as pm,
    ):
        body = cohort_body([partner("Alpha Analytics", "ISV")], playbook_id="cosell-motion-21d")
        assert (await pm.post("/api/v1/cohorts", json=body)).status_code == 201

        async def inbox(kind: str) -> list[dict] | None:
            messages = [m for m in (await pm.get("/dev/inbox/messages")).json() if m["kind"] == kind]
            return messages or None

        await until(lambda: inbox("step_invite"))
        context = await chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        page = await context.new_page()

        await upload_and_see_the_overlap(page, base, export)

        # The intro request step, from its own invite.
        [invite] = await until(
            lambda: _subject(inbox("step_invite"), "Ask for an AE introduction where you already overlap")
        )
        await request_an_intro(page, invite["links"][0])

        # The AE: the day's digest (sent now rather than at 16:00 UTC) -> the accept link -> answer.
        [request] = await intro_rows(sqlite_sessions)
        assert request.batch_id
        await dev_env.client.get_workflow_handle(request.batch_id).signal(IntroBatchWorkflow.send_now)
        [digest] = await until(lambda: inbox("intro_digest"))
        assert digest["to"].endswith("<dana.whitfield@vendor.example>") or "dana.whitfield" in digest["to"]
        accept = next(link for link in digest["links"] if link.endswith("?answer=accept"))
        await accept_as_the_ae(context, accept, base, sqlite_sessions)
        await context.close()
        await open_the_seller_page(chromium, next(link for link in digest["links"] if "/ae/seller/" in link))

        [request] = await intro_rows(sqlite_sessions)
        assert (request.status, request.answer_note) == ("accepted", "Meeting their CIO on the 14th.")
        await until(lambda: inbox("intro_answered"))


async def _subject(messages, subject: str):  # type: ignore[no-untyped-def]
    found = [m for m in (await messages or []) if m["subject"] == subject]
    return found or None
