from __future__ import annotations

import asyncio
import uuid

from db.models import EmailOutbox
from db.repositories import outbox
from db.session import SessionFactory, transaction
from mail.sender import OutboundEmail

LINK = "http://127.0.0.1:8000/p/eyJqIjoiam91cm5leS9jMS9wMSIsInMiOiJpY3AifQ.secret-token-part"


class CountingSender:
    """A backend that records what it was asked to send, failing first with the given errors."""

    name = "counting"

    def __init__(self, *failures: Exception) -> None:
        self.sent: list[OutboundEmail] = []
        self.failures = list(failures)

    async def send(self, email: OutboundEmail) -> str:
        await asyncio.sleep(0.01)
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(email)
        return f"msg-{len(self.sent)}"


async def queue(
    sessions: SessionFactory,
    key: str | None = None,
    kind: str = "step_invite",
    to_email: str = "a@b.example",
    journey_id: str | None = None,
) -> str:
    async with transaction(sessions) as session:
        return await outbox.enqueue(
            session,
            key or f"journey/c/p/icp/invite/0/{uuid.uuid4()}",
            journey_id=journey_id,
            kind=kind,
            to_email=to_email,
            to_name="Ada Partner",
            subject="Describe your ideal customer",
            html=f'<p>Hi</p><a href="{LINK}">Open this step</a>',
            text=f"Hi\n\nOpen this step: {LINK}\n",
            provider="test",
        )


async def row(sessions: SessionFactory, outbox_id: str) -> EmailOutbox:
    async with transaction(sessions) as session:
        found = await outbox.get(session, outbox_id)
        assert found is not None
        return found


async def seed_journey(sessions: SessionFactory, pm_email: str = "pm@vendor.example") -> tuple[str, str]:
    """A cohort with one partner whose journey was invited to the `icp` step; returns (journey id, contact)."""
    from datetime import timedelta

    from db.models import utcnow
    from db.repositories import journeys
    from tests.factories import create_cohort, partner
    from tests.workflows.helpers import partner_ids
    from workflows.journey.messages import journey_id

    cohort = await create_cohort(sessions, [partner("Contoso Health")], pm_email=pm_email)
    [pid] = await partner_ids(sessions, cohort.id)
    jid, now = journey_id(cohort.id, pid), utcnow()
    async with transaction(sessions) as session:
        await journeys.save_journey(
            session,
            dict(
                id=jid,
                cohort_id=cohort.id,
                partner_id=pid,
                stage="awareness",
                current_play="icp-basics",
                current_step="icp",
                status="waiting",
                started_at=now,
                updated_at=now,
            ),
        )
        await journeys.save_step(
            session,
            dict(
                journey_id=jid,
                step_key="icp",
                stage="awareness",
                play_key="icp-basics",
                status="invited",
                invited_at=now,
                due_at=now + timedelta(days=3),
                reminders_sent=0,
            ),
        )
    return jid, "alliances@contoso-health.example"
