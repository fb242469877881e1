"""A partner in a real browser (Debian's headless Chromium): inbox -> step page -> one invalid field ->
fixed -> confirmation; a second submission is 'already completed'; another partner's link is refused.
Screenshots are kept in test-artifacts/browser/."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, async_playwright, expect
from temporalio.testing import WorkflowEnvironment

from db.session import SessionFactory
from domain.links import LinkSigner, StepClaims
from tests.api.helpers import PM
from tests.e2e.test_walking_skeleton import free_port, serving, until
from tests.factories import cohort_body, partner, settings_for
from tests.workflows.helpers import running_worker
from wiring import make_signer

pytestmark = pytest.mark.e2e
CHROMIUM = shutil.which("chromium") or ""
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
# Debian's build; Playwright's own browser download is not reachable from here.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest_asyncio.fixture
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM:
        message = "Debian's chromium is not installed (make test installs it)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield chromium
        await chromium.close()


async def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


async def double_submission_and_foreign_link(
    page: Page, second: Page, base: str, signer: LinkSigner, cohort_id: str, beta_id: str
) -> None:
    """The second tab's submission is answered "already completed" with the first answer; another
    partner's link is refused."""
    await second.get_by_label("Industry you win most in").select_option("Retail")
    await second.get_by_label("Typical customer size (employees)").fill("900")
    await second.get_by_label("What event makes them buy?").fill("A different answer, submitted twice")
    await second.get_by_role("button", name="Submit").click()
    await expect(second.get_by_role("heading", name=re.compile("already completed"))).to_be_visible()
    await expect(second.locator("table")).to_contain_text("800")
    await expect(second.locator("table")).not_to_contain_text("800.0")
    await expect(second.locator("table")).not_to_contain_text("900")
    await shot(second, "04-already-completed")

    foreign = signer.sign_step(StepClaims(journey_id=f"journey/{cohort_id}/{beta_id}", step_key="rules"))
    response = await page.goto(f"{base}/p/{foreign}")
    assert response is not None and response.status == 404
    await expect(page.get_by_role("heading", name="We couldn't find that page")).to_be_visible()
    await shot(page, "05-foreign-link-refused")


async def test_partner_completes_a_step_in_a_real_browser(
    browser: Browser, dev_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
) -> None:
    port = free_port()
    settings = settings_for(sqlite_sessions, api_port=port, public_base_url=f"http://127.0.0.1:{port}")
    async with running_worker(dev_env.client, settings, sqlite_sessions), serving(settings, dev_env) as base:
        async with httpx.AsyncClient(base_url=base, headers=PM) as pm:
            body = cohort_body([partner("Alpha Analytics", "ISV"), partner("Beta Builders", "SI")])
            cohort = (await pm.post("/api/v1/cohorts", json=body)).json()

            async def two_invites():  # type: ignore[no-untyped-def]
                return len((await pm.get("/dev/inbox/messages")).json()) == 2

            await until(two_invites)
            progress = (await pm.get(f"/api/v1/cohorts/{cohort['id']}/progress")).json()
        beta_id = next(p["partner_id"] for p in progress["partners"] if p["name"] == "Beta Builders")

        # A phone-sized window: the page must work there without horizontal scrolling.
        context = await browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        page = await context.new_page()
        await page.goto(f"{base}/dev/inbox")
        row = page.locator("tr", has_text="alliances@alpha-analytics.example")
        await row.get_by_role("link", name="open step").click()
        await expect(page.get_by_role("heading", name="Describe your ideal customer")).to_be_visible()
        step_url = page.url
        assert "/p/" in step_url
        await shot(page, "01-step-page")
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

        # The same form open in a second tab: the double submission we must not count twice.
        second = await context.new_page()
        await second.goto(step_url)

        await page.get_by_label("Industry you win most in").select_option("Healthcare")
        await page.get_by_label("Typical customer size (employees)").fill("lots")
        await page.get_by_label("What event makes them buy?").fill("Exiting their data centre in 2027")
        await page.get_by_role("button", name="Submit").click()

        size = page.get_by_label("Typical customer size (employees)")
        await expect(page.get_by_role("alert")).to_contain_text("Typical customer size (employees): must be a number")
        await expect(size).to_have_attribute("aria-invalid", "true")
        await expect(size).to_have_accessible_description(re.compile("must be a number"))
        await expect(size).to_have_value("lots")
        await expect(page.get_by_label("What event makes them buy?")).to_have_value("Exiting their data centre in 2027")
        await shot(page, "02-invalid-field")

        await size.fill("800")
        await page.get_by_role("button", name="Submit").click()
        await expect(page.get_by_role("heading", name=re.compile("is complete"))).to_be_visible()
        assert page.url == f"{base}/p/done"  # the token is gone from the address bar and history
        await expect(page.get_by_text("Next up is Read the co-sell rules of engagement")).to_be_visible()
        await shot(page, "03-confirmation")

        await double_submission_and_foreign_link(page, second, base, make_signer(settings), cohort["id"], beta_id)
        await context.close()
