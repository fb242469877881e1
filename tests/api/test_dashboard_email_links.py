"""A PM email links to the dashboard page of its item; followed signed out, it goes through sign-in and lands there."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select, update
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from activities.journey_inputs import PmNotice
from activities.journeys import JourneyActivities
from db.models import EmailOutbox, Journey, Program
from db.session import SessionFactory, transaction
from db.views import dashboard
from db.views.journeys import journey_facts
from mail.notices import contact_unreachable
from mail.render import EmailRenderer
from tests.dashboard_data import Programs, browser, dashboard_app, sign_in, two_programs
from tests.factories import settings_for
from wiring import make_sender, make_signer

AT = datetime(2026, 11, 19, 10, tzinfo=UTC)
BASE = "https://cosell.example"
pytestmark = pytest.mark.timeout(60)


def dashboard_link(text: str) -> str:
    """The one link to this site in a PM email's text part, as a path."""
    links = set(re.findall(re.escape(BASE) + r"/\S+", text))
    assert len(links) == 1, text
    return urlsplit(links.pop()).path


async def pm_emails(sessions: SessionFactory, ids: Programs) -> dict[str, str]:
    """A gate hold, an escalation and a bounce alert about Alpha (program A), as queued for its PM."""
    journey = f"j-{ids.partner_a}"
    async with transaction(sessions) as session:
        program_id = await dashboard.program_of_cohort(session, ids.cohort_a)
        await session.execute(update(Program).where(Program.id == program_id).values(pm_email="ann@a.example"))
        session.add(Journey(id=journey, cohort_id=ids.cohort_a, partner_id=ids.partner_a, stage="awareness",
                            status="held", started_at=AT, updated_at=AT))  # fmt: skip
    settings = settings_for(sessions, public_base_url=BASE)
    acts = JourneyActivities(sessions, make_sender(settings), make_signer(settings), EmailRenderer(), settings)
    for kind in ("gate_held", "escalated"):
        notice = PmNotice(journey_id=journey, cohort_id=ids.cohort_a, partner_id=ids.partner_a, kind=kind,
                          stage="awareness", step_key="s1", reason="overdue", occurred_at=AT)  # fmt: skip
        await ActivityEnvironment().run(acts.notify_pm, notice)
    async with transaction(sessions) as session:
        facts = await journey_facts(session, journey)
        assert facts is not None
        await contact_unreachable(session, facts, email="alpha@alpha.example", contact_name="Al", reason="bounce",
                                  step_key="s1", occurred_at=AT, provider="test", base_url=BASE)  # fmt: skip
        rows = await session.execute(select(EmailOutbox.kind, EmailOutbox.text, EmailOutbox.html))
        emails = {kind: text for kind, text, html in rows if kind.startswith("pm_")}
    return emails


async def test_each_pm_email_links_to_its_page_through_sign_in(
    dev_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
) -> None:
    ids = await two_programs(sqlite_sessions)
    emails = await pm_emails(sqlite_sessions, ids)
    expected = {
        "pm_gate_held": f"/cohorts/{ids.cohort_a}",  # the board, where holds are decided
        "pm_escalated": f"/partners/{ids.partner_a}",
        "pm_alert": f"/partners/{ids.partner_a}",
    }
    assert {kind: dashboard_link(text) for kind, text in emails.items()} == expected
    async with dashboard_app(settings_for(sqlite_sessions), dev_env.client) as app:
        for path in expected.values():
            async with browser(app) as pm:
                refused = await pm.get(path)
                assert refused.status_code == 303 and refused.headers["location"] == f"/signin?next={path}"
                landed = await sign_in(pm, "ann@a.example", path)
                assert landed.headers["location"] == path
                page = await pm.get(path)
                assert page.status_code == 200 and ("Alpha Analytics" in page.text or "Cohort A" in page.text)
            async with browser(app) as other:  # the other program's manager follows a forwarded link: refused
                await sign_in(other, "bob@b.example", path)
                assert (await other.get(path)).status_code == 404


async def test_a_foreign_next_is_refused(dev_env: WorkflowEnvironment, sqlite_sessions: SessionFactory) -> None:
    await two_programs(sqlite_sessions)
    async with dashboard_app(settings_for(sqlite_sessions), dev_env.client) as app:
        for evil in ("https://evil.example/cohorts", "//evil.example/cohorts", "/\\evil.example", "javascript:x"):
            async with browser(app) as pm:
                form = await pm.get("/signin", params={"next": evil})
                assert 'name="next" value="/"' in form.text, evil
                landed = await sign_in(pm, "ann@a.example", evil)
                assert landed.headers["location"] == "/", evil
