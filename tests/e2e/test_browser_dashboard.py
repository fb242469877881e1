"""A program manager in a real browser (Debian's headless Chromium), phone-sized: signed out -> sign-in form
-> the emailed link from the dev inbox -> Today (a partner's answer waits for review) -> cohorts -> the
board, filtered -> the partner's page -> pause, resume and extend the window -> sign out. Screenshots are kept in
test-artifacts/dashboard/. Also: a deal conflict resolved from the Deals page, an AE export uploaded on Imports."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Browser, Locator, Page, async_playwright, expect
from temporalio.testing import WorkflowEnvironment

from api.dashboard.users import create as create_user
from db.repositories import partners
from db.session import SessionFactory, transaction
from tests.api.helpers import PM
from tests.api.test_dashboard_playbooks import publish_overlap_v1
from tests.dashboard_data import member_ids
from tests.e2e.test_browser import ARGS, CHROMIUM
from tests.e2e.test_walking_skeleton import form_fields, free_port, serving, until
from tests.factories import cohort_body, partner, settings_for
from tests.waiting import eventually
from tests.workflows.helpers import running_worker

pytestmark = pytest.mark.e2e
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "dashboard"
# axe-core 4.10.3 from npm (MPL-2.0, LICENSE beside it), injected by the test: pages load no script themselves.
AXE = Path(__file__).parent / "axe" / "axe.min.js"
CRM = Path(__file__).parents[1] / "data" / "crm"
ICP = {"industry": "Healthcare", "company_size": "800", "trigger": "Exiting their data centre in 2027"}


@pytest_asyncio.fixture
async def chromium() -> AsyncIterator[Browser]:
    if not CHROMIUM:
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        await browser.close()


async def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
    await accessible(page, name)


async def accessible(page: Page, name: str) -> None:
    """axe-core (vendored, pinned: tests/e2e/axe/) finds no serious or critical violation on the page."""
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    bad = [
        (v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == [], f"{name}: {bad}"


async def launch_and_answer(base: str) -> str:
    """A cohort of two; Alpha answers its first step (so Today has a review waiting), Beta does not."""
    async with httpx.AsyncClient(base_url=base, headers=PM) as pm:
        body = cohort_body([partner("Alpha Analytics", "ISV"), partner("Beta Builders", "SI")])
        cohort = (await pm.post("/api/v1/cohorts", json=body)).json()

        async def alpha_invited() -> str | None:
            messages = (await pm.get("/dev/inbox/messages")).json()
            return next((m["links"][0] for m in messages if "alpha-analytics" in m["to"]), None)

        link = await until(alpha_invited)
    async with httpx.AsyncClient(follow_redirects=True) as partner_browser:
        page = await partner_browser.get(link)
        done = await partner_browser.post(link, data={**form_fields(page.text), **ICP})
        assert done.url.path == "/p/done", done.text
    return str(cohort["id"])


async def review_tiers(base: str) -> None:
    """The board filters by the classification the last tier review stored: one review, once Alpha answered."""
    async with httpx.AsyncClient(base_url=base, headers=PM) as pm:
        [program] = [p for p in (await pm.get("/api/v1/programs")).json() if p["name"] == "Test program"]
        started = await pm.post(f"/api/v1/programs/{program['id']}/tier-reviews")
        assert started.status_code == 202, started.text
        review = f"/api/v1/programs/{program['id']}/tier-reviews/{started.json()['period']}"

        async def done() -> bool:
            seen = (await pm.get(review)).json()
            assert seen.get("status") == "done", seen
            return True

        await eventually(done, what="the tier review finished", interval=0.5)


async def reload_until(page: Page, text: str, within: float = 30) -> None:
    async def shown() -> bool:
        await page.reload()
        return await page.get_by_text(text, exact=True).first.is_visible()

    await eventually(shown, what=f"{text!r} on {page.url}", within=within, interval=0.5)


async def sign_in(page: Page, base: str) -> None:
    await page.goto(f"{base}/")
    assert page.url == f"{base}/signin?next=/"
    await page.get_by_label("Work email").fill("Ann.Lee@Vendor.example")
    await page.get_by_role("button", name="Email me a sign-in link").click()
    await expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    await page.get_by_role("link", name="dev inbox").click()
    await page.locator("tr", has_text="ann.lee@vendor.example").get_by_role("link", name="sign in").click()
    await expect(page.get_by_role("heading", name="Sign in to cosell")).to_be_visible()
    await shot(page, "01-sign-in-confirm")
    await page.get_by_role("button", name="Sign in").click()


async def board_filtered_by_keyboard(page: Page, base: str, cohort_id: str) -> Locator:
    """Cohorts -> the board -> filtered to the partner who answered; the "Who is where" table it shows."""
    await page.get_by_role("navigation").get_by_role("link", name="Cohorts").click()
    await page.get_by_role("link", name="Test cohort").click()
    assert page.url == f"{base}/cohorts/{cohort_id}"
    await expect(page.get_by_text("2 of 2 partners")).to_be_visible()
    await shot(page, "03-board")

    await page.get_by_label("Status").select_option("waiting")
    await page.get_by_label("Classification").select_option("on_track")  # Alpha answered; Beta has not
    await page.get_by_role("button", name="Filter").press("Enter")  # the keyboard works the form
    await expect(page.get_by_text("1 of 2 partners")).to_be_visible()
    who = page.locator("section", has=page.get_by_role("heading", name="Who is where"))
    await expect(who.locator("tbody")).to_contain_text("Alpha Analytics")
    await expect(who.locator("tbody")).not_to_contain_text("Beta Builders")
    assert "status=waiting" in page.url and "classification=on_track" in page.url
    await shot(page, "04-board-filtered")
    return who


async def extend_the_window(page: Page) -> None:
    """From the board: a new end date, its confirmation (what will happen), then the change is sent."""
    new_end = (datetime.now(UTC) + timedelta(days=40)).date()
    await page.get_by_role("link", name="Change the end").click()
    await page.get_by_label("New end date").fill(new_end.isoformat())
    await shot(page, "07a-extend-form")
    await page.get_by_role("button", name="Review the change").click()
    await expect(page.locator("#what-happens")).to_contain_text(f"The window will end {new_end.strftime('%-d %b %Y')}")
    await shot(page, "07b-confirm-extend")
    await page.get_by_role("button", name="Yes, extend").click()
    await expect(page.get_by_role("status").first).to_contain_text("New end sent")


async def steer_the_window(page: Page, base: str, cohort_id: str) -> None:
    await extend_the_window(page)
    await the_other_steering_forms(page, base, cohort_id)


async def the_other_steering_forms(page: Page, base: str, cohort_id: str) -> None:
    """The forms that change a window, and the new cohort form, open and pass axe; nothing is submitted
    (the page tests in tests/api/test_dashboard_steer.py and test_dashboard_create.py submit them)."""
    await page.goto(f"{base}/cohorts/{cohort_id}")
    await page.get_by_role("link", name=re.compile("^Remove .* from the window$")).first.click()
    await expect(page.get_by_role("heading", name=re.compile("Remove"))).to_be_visible()
    await shot(page, "07b1-remove-form")
    forms = [("add", "Add partners"), ("migrate", "Move the window"), ("close", "Close the window")]
    # A scheduled window's: opened on this running one, whose move the service would refuse on submit.
    forms += [("reschedule", "Move the window's start"), ("cancel", "Cancel the window")]
    for action, heading in forms:
        await page.goto(f"{base}/cohorts/{cohort_id}/steer/{action}")
        await expect(page.get_by_role("heading", name=re.compile(heading)).first).to_be_visible()
        await shot(page, f"07b2-{action}-form")
    await page.goto(f"{base}/cohorts")
    await page.get_by_role("link", name="New cohort").click()
    await expect(page.get_by_role("heading", name=re.compile("New cohort|cohort", re.I)).first).to_be_visible()
    await shot(page, "07b3-new-cohort")


async def create_use_and_revoke_a_key(page: Page, base: str) -> None:
    """A key made at /account/keys works on the API until it is revoked there."""
    await page.get_by_role("navigation").get_by_role("link", name="API keys").click()
    await page.get_by_label("Name (what uses it)").fill("browser walk")
    await page.get_by_role("button", name="Create key").click()
    key = await page.get_by_label(re.compile(r"^Key ")).input_value()
    prefix, bearer = key.split("_")[1], {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=base) as api:
        assert (await api.get("/api/v1/programs", headers=bearer)).status_code == 200
        await page.get_by_role("link", name="Back to your keys").click()
        await page.get_by_role("link", name=f"Revoke {prefix}").click()
        await page.get_by_role("button", name=f"Yes, revoke {prefix}").click()
        await expect(page.get_by_role("status").first).to_contain_text(f"Key {prefix} revoked")
        await shot(page, "07-api-key-revoked")
        assert (await api.get("/api/v1/programs", headers=bearer)).status_code == 401


async def send_back_the_answer(page: Page) -> None:
    """The partner's ICP answer, sent back with a comment from its page: the journey reopens the step."""
    answers = page.locator("section", has_text="Answers to review")
    await answers.get_by_label(re.compile("Comment")).fill("Name the buyer role that owns the budget")
    await answers.get_by_role("button", name="Send back").click()
    await expect(page.get_by_role("status").first).to_contain_text("Sent back")
    await expect(page.locator("section", has_text="Answers to review")).to_contain_text("Waiting for the revision")
    await shot(page, "05b-sent-back")


async def tiers_and_audit(page: Page, base: str) -> None:
    await page.goto(f"{base}/cohorts")
    await page.get_by_role("link", name="Tiers of Test program").click()
    await expect(page.get_by_role("heading", name="Tiers of Test program")).to_be_visible()
    await shot(page, "07c-tiers")
    await page.get_by_role("link", name="Audit log").click()
    await expect(page.locator("table")).to_contain_text("user:ann.lee@vendor.example")
    await shot(page, "07d-audit")


async def playbooks(page: Page, base: str) -> None:
    """Playbooks -> a version read as partners get it -> one step's page as partners see it (a partner page);
    two versions compared; a one-partner dry run started and its result read (~5-10 s: the simulation's own
    test server)."""
    await page.get_by_role("navigation").get_by_role("link", name="Playbooks").click()
    await expect(page.get_by_role("heading", name="Playbooks", exact=True)).to_be_visible()
    await shot(page, "07e-playbooks")
    await page.get_by_role("link", name="Read quickstart-14d version 1").click()
    await expect(page.get_by_role("button", name="Start the dry run")).to_be_visible()
    await page.locator("summary", has_text="The invite email").first.click()  # the email's text, opened
    await shot(page, "07f-playbook")
    await page.get_by_role("link", name=re.compile("^The page of ")).first.click()
    await expect(page.get_by_text("Sample Partner Ltd").first).to_be_visible()
    await shot(page, "07g-step-as-partners-see-it")
    await page.go_back()
    await page.get_by_label(re.compile("Simulated partners")).fill("1")
    await page.get_by_role("button", name="Start the dry run").click()
    await reload_until(page, "Day by day", within=120)  # a busy machine: the simulation takes up to a minute
    await shot(page, "07g1-dry-run")
    await page.goto(f"{base}/playbooks/overlap-first-21d/compare?old=1&new=2")
    await expect(page.get_by_text("Added step").first).to_be_visible()
    await shot(page, "07g2-compare")


async def register_conflict(base: str, sessions: SessionFactory, cohort_id: str) -> dict[str, str]:
    """Alpha and Beta both register Northwind Health: two flagged deals, by partner name."""
    async with transaction(sessions) as session:
        names = await partners.names(session, set(await member_ids(sessions, cohort_id)))
    made = {}
    async with httpx.AsyncClient(base_url=base, headers=PM) as pm:
        for partner_id, name in sorted(names.items(), key=lambda item: item[1]):
            body = {"program": "Test program", "partner_id": partner_id, "account_name": "Northwind Health"}
            deal = await pm.post("/api/v1/deals", json={**body, "partner_role": "sourced"})
            assert deal.status_code == 201, deal.text
            made[name] = deal.json()["id"]
    return made


async def resolve_the_conflict_and_import(page: Page, base: str, deals: dict[str, str]) -> None:
    """Deals -> keep Alpha's deal (Beta's is rejected) -> Imports -> an AE export, imported."""
    await page.get_by_role("navigation").get_by_role("link", name="Deals").click()
    conflicts = page.locator("section", has=page.get_by_role("heading", name="Conflicts to resolve"))
    keep = conflicts.locator("form", has=page.get_by_role("button", name="Keep Alpha Analytics's deal"))
    await shot(page, "07h-deals")
    await keep.get_by_role("textbox", name=re.compile("^Reason")).fill("Alpha brought Northwind Health to us")
    await keep.get_by_role("button", name="Keep Alpha Analytics's deal").click()
    await expect(page.get_by_role("status").first).to_contain_text("Conflict resolved")
    await expect(conflicts).to_contain_text("No open conflicts")
    await shot(page, "07i-deal-conflict-resolved")
    async with httpx.AsyncClient(base_url=base, headers=PM) as pm:
        beta = (await pm.get(f"/api/v1/deals/{deals['Beta Builders']}")).json()
    assert (beta["stage"], beta["conflict"]) == ("rejected", "resolved")

    await page.get_by_role("navigation").get_by_role("link", name="Imports").click()
    await expect(page.get_by_role("heading", name="Imports", exact=True)).to_be_visible()
    await page.get_by_label("AE export (CSV)").set_input_files(str(CRM / "salesforce_users.csv"))
    await page.get_by_role("button", name="Import account executives").click()
    await expect(page.get_by_role("status").first).to_contain_text("3 created, 0 updated, 0 unchanged")
    await shot(page, "07j-imports")


async def test_a_manager_walks_the_dashboard_in_a_real_browser(
    chromium: Browser, dev_env: WorkflowEnvironment, sqlite_sessions: SessionFactory, tmp_path: Path
) -> None:
    port = free_port()
    settings = settings_for(sqlite_sessions, api_port=port, public_base_url=f"http://127.0.0.1:{port}")
    async with running_worker(dev_env.client, settings, sqlite_sessions), serving(settings, dev_env) as base:
        cohort_id = await launch_and_answer(base)
        await publish_overlap_v1(sqlite_sessions, tmp_path)  # two versions to compare
        async with transaction(sqlite_sessions) as session:
            await create_user(session, "ann.lee@vendor.example", "Ann Lee", "manager", ["Test program"])
        # The pages' CSP allows no script; only the test's axe-core is let in, by the browser, not the app.
        context = await chromium.new_context(
            viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, bypass_csp=True
        )
        page = await context.new_page()

        await sign_in(page, base)
        await expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()
        assert page.url == f"{base}/"
        await reload_until(page, "Alpha Analytics")  # the review item appears once the answer is recorded
        await expect(page.locator(".today")).to_contain_text("waits for your review")
        await page.keyboard.press("Tab")
        await expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
        await shot(page, "02-today")

        await review_tiers(base)
        who = await board_filtered_by_keyboard(page, base, cohort_id)

        await who.get_by_role("link", name="Alpha Analytics", exact=True).click()
        await expect(page.get_by_role("heading", name="Alpha Analytics")).to_be_visible()
        await expect(page.get_by_role("heading", name="Signals")).to_be_visible()
        await expect(page.locator("section", has_text="Journeys")).to_contain_text("Test cohort")
        await expect(page.locator(".timeline")).to_contain_text("icp")  # its first step, on the timeline
        await shot(page, "05-partner")
        await send_back_the_answer(page)

        await page.goto(f"{base}/cohorts/{cohort_id}")
        for action, status in (("pause", "paused"), ("resume", "active")):
            await page.get_by_role("link", name=f"{action.capitalize()} the window").click()
            await expect(
                page.get_by_role("heading", name=re.compile(f"{action.capitalize()} the window of"))
            ).to_be_visible()
            await shot(page, f"06-confirm-{action}")
            await page.get_by_role("button", name=f"Yes, {action} the window").click()
            await expect(page.get_by_role("status").first).to_contain_text(f"{action.capitalize()} sent")
            await reload_until(page, status)
        await shot(page, "07-resumed")
        await steer_the_window(page, base, cohort_id)

        await create_use_and_revoke_a_key(page, base)
        await tiers_and_audit(page, base)
        await playbooks(page, base)
        await resolve_the_conflict_and_import(page, base, await register_conflict(base, sqlite_sessions, cohort_id))

        await page.get_by_role("button", name="Sign out", exact=True).click()
        await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        await page.goto(f"{base}/cohorts/{cohort_id}")
        assert page.url == f"{base}/signin?next=/cohorts/{cohort_id}"
        await shot(page, "08-signed-out")
        await context.close()
