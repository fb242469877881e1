"""The PM sees the sends the sweeper could not settle."""

from __future__ import annotations

from datetime import timedelta

from temporalio.testing import WorkflowEnvironment

from activities.sweeper import UNSETTLED_WHY
from db.models import utcnow
from db.repositories import outbox
from db.session import SessionFactory, transaction
from tests.api.helpers import api_client
from tests.factories import settings_for
from tests.mail.helpers import queue


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
