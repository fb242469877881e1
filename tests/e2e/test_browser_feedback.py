"""An AE in a real browser (Debian's headless Chromium, phone-sized): the feedback email in the dev inbox
-> the form -> one missing answer -> fixed -> thank-you page -> answer and trust score in the database.
Screenshots are kept in test-artifacts/browser/."""

from __future__ import annotations

import re

from playwright.async_api import Browser, expect
from temporalio.testing import WorkflowEnvironment

from api.feedback.start import request_feedback
from db.session import SessionFactory
from tests.e2e.test_browser import browser, shot  # noqa: F401 - the fixture is used by name
from tests.e2e.test_walking_skeleton import free_port, serving
from tests.factories import create_cohort, partner, settings_for
from tests.waiting import eventually
from tests.workflows.feedback_helpers import add_ae, add_deal, feedback_emails, feedback_row, partner_row
from tests.workflows.helpers import partner_ids, running_worker

LINK = re.compile(r"https?://\S+/ae/feedback/[A-Za-z0-9_.\-]+")


async def answer_on_a_phone(chromium: Browser, base: str) -> None:
    """From the dev inbox to the thank-you page on a phone-sized screen, with one incomplete try first."""
    context = await chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = await context.new_page()
    await page.goto(f"{base}/dev/inbox")
    await page.get_by_role("link", name="How did Litware Data Partners do on Tailspin Hospitals?").click()
    match = LINK.search(await page.locator("pre").inner_text())
    assert match is not None, "the feedback email carries its link"
    await page.goto(match.group(0))
    await expect(page.get_by_role("heading", name="How did Litware Data Partners do?")).to_be_visible()
    await expect(page.get_by_text("USD 240,000")).to_be_visible()
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    await shot(page, "feedback-01-form")

    await page.get_by_label("Sourced it").check()
    await page.locator("#f-role_clarity").get_by_label("5").check()
    await page.get_by_label("Anything the program manager should know?").fill(
        "Their clinical data team found the opportunity and ran the pilot."
    )
    await page.get_by_role("button", name="Send feedback").click()
    await expect(page.get_by_role("alert")).to_contain_text("Responsiveness: choose a rating from 1 to 5")
    await expect(page.get_by_role("alert")).to_contain_text("Invite again: answer yes or no")
    await expect(page.get_by_label("Sourced it")).to_be_checked()
    await shot(page, "feedback-02-missing-answers")

    await page.locator("#f-responsiveness").get_by_label("4").check()
    await page.locator("#f-invite_again").get_by_label("Yes").check()
    await page.get_by_role("button", name="Send feedback").click()
    await expect(page.get_by_role("heading", name=re.compile("is recorded"))).to_be_visible()
    assert page.url == f"{base}/ae/feedback/done"  # no token left in the address bar
    await shot(page, "feedback-03-thank-you")


async def test_ae_gives_feedback_from_the_inbox_link(
    browser: Browser,  # noqa: F811
    dev_env: WorkflowEnvironment,
    sqlite_sessions: SessionFactory,
) -> None:
    port = free_port()
    settings = settings_for(sqlite_sessions, api_port=port, public_base_url=f"http://127.0.0.1:{port}")
    now = await dev_env.get_current_time()
    cohort = await create_cohort(sqlite_sessions, [partner("Litware Data Partners", "ISV")], starts_at=now)
    [pid] = await partner_ids(sqlite_sessions, cohort.id)
    ae = await add_ae(sqlite_sessions, "Priya Natarajan", "EMEA Healthcare")
    deal = await add_deal(
        sqlite_sessions, cohort.id, pid, ae, account="Tailspin Hospitals", amount=240_000, registered_at=now
    )
    async with running_worker(dev_env.client, settings, sqlite_sessions), serving(settings, dev_env) as base:
        assert await request_feedback(dev_env.client, settings, deal, ae, pid)

        async def sent() -> list:
            return [m for m in await feedback_emails(sqlite_sessions, deal) if m.status == "sent"]

        await eventually(sent, what="the feedback request sent")
        await answer_on_a_phone(browser, base)

    row = await feedback_row(sqlite_sessions, deal, ae)
    assert row is not None
    assert (row.status, row.contribution, row.role_clarity, row.responsiveness, row.invite_again) == (
        "submitted",
        "sourced",
        5,
        4,
        True,
    )
    assert row.comment.startswith("Their clinical data team")
    assert (await partner_row(sqlite_sessions, pid)).trust_score == 50 + 20 + 15 + 6 + 3
