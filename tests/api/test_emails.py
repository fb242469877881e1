"""The PM sees the sends the sweeper could not settle: in the API and on the dashboard's Today page."""

from __future__ import annotations

import html
from datetime import timedelta

from temporalio.testing import WorkflowEnvironment

from activities.sweeper import SMTP_UNSETTLED_WHY, UNSETTLED_WHY
from db.models import utcnow
from db.repositories import journeys, outbox
from db.session import SessionFactory, transaction
from tests.api.helpers import api_client
from tests.dashboard_data import browser, dashboard_app, sign_in, two_programs
from tests.factories import settings_for
from tests.mail.helpers import queue
from workflows.journey.messages import journey_id


async def test_unsettled_sends_are_listed_for_the_pm(dev_env: WorkflowEnvironment, sessions: SessionFactory) -> None:
    lost, fine = await queue(sessions, to_email="lost@partner.example"), await queue(sessions)
    async with transaction(sessions) as session:
        for outbox_id in (lost, fine):
            await outbox.claim(session, outbox_id)
        await outbox.release_stale_claim(session, lost, 1, "worker died")
        assert await outbox.settle_unknown(session, utcnow() + timedelta(hours=1), UNSETTLED_WHY) == 1
    async with api_client(settings_for(sessions), dev_env.client) as api:
        answer = await api.get("/api/v1/emails/unsettled")
        assert answer.status_code == 200, answer.text
        assert [(e["id"], e["to_email"], e["error"]) for e in answer.json()] == [
            (lost, "lost@partner.example", UNSETTLED_WHY)
        ]
        assert (await api.get("/api/v1/emails/unsettled", headers={"Authorization": ""})).status_code == 401


async def test_an_unsettled_partner_email_is_on_the_today_page_of_its_program_only(
    dev_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
) -> None:
    ids = await two_programs(sqlite_sessions)
    jid, now = journey_id(ids.cohort_a, ids.partner_a), utcnow()
    async with transaction(sqlite_sessions) as session:
        await journeys.save_journey(
            session,
            dict(id=jid, cohort_id=ids.cohort_a, partner_id=ids.partner_a, stage="awareness", status="waiting")
            | dict(current_play="icp-basics", current_step="icp", started_at=now, updated_at=now),
        )
    lost = await queue(sqlite_sessions, to_email="lost@alpha.example", journey_id=jid)
    async with transaction(sqlite_sessions) as session:
        await outbox.claim(session, lost)
        await outbox.release_stale_claim(session, lost, 1, "worker died")
        assert await outbox.settle_unknown(session, utcnow() + timedelta(hours=1), SMTP_UNSETTLED_WHY) == 1
    settings = settings_for(sqlite_sessions)
    async with dashboard_app(settings, dev_env.client) as app, browser(app) as ann, browser(app) as bob:
        await sign_in(ann, "ann@a.example")
        await sign_in(bob, "bob@b.example")
        today = html.unescape((await ann.get("/")).text)
        assert "email unsettled" in today and "Alpha Analytics" in today, today
        assert "“Describe your ideal customer” to lost@alpha.example may never have arrived" in today, today
        assert SMTP_UNSETTLED_WHY in today and f'href="/partners/{ids.partner_a}"' in today
        assert "lost@alpha.example" not in (await bob.get("/")).text  # another program's manager
