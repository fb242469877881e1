"""Facts written in bulk (a tier review's page) are webhook events too: once per fact, to the subscriptions
that want them."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from db.session import SessionFactory, transaction
from db.webhook_models import WebhookDelivery, WebhookEvent
from domain.webhook_events import EventType
from tests.deal_data import program_id
from tests.factories import settings_for
from tests.workflows.helpers import running_worker
from tests.workflows.test_tier_review import review, three_partners
from tests.workflows.webhook_helpers import subscribe


@pytest.mark.timeout(120)
async def test_a_tier_review_emits_one_partner_tier_changed_per_move(
    ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
) -> None:
    sessions, settings = sqlite_sessions, settings_for(sqlite_sessions)
    ids = await three_partners(sessions, await ts_env.get_current_time())
    program = await program_id(sessions)
    wanted = await subscribe(sessions, "https://receiver.example/hooks", [EventType.tier_changed])
    await subscribe(sessions, "https://other.example/hooks", [EventType.deal_won])  # wants none of these
    async with running_worker(ts_env.client, settings, sessions):
        assert (await review(ts_env, settings, program, "2026-11", page_size=1, pages_per_run=1)).moved == 2
        assert (await review(ts_env, settings, program, "2026-11")).already_done
    async with transaction(sessions) as session:
        events = list(await session.scalars(select(WebhookEvent).order_by(WebhookEvent.partner_id)))
        deliveries = list(await session.scalars(select(WebhookDelivery)))
    assert sorted(e.partner_id for e in events) == sorted([ids["steady"], ids["thin"]])
    assert {e.type for e in events} == {"partner.tier_changed"} and {e.sequence for e in events} == {1}
    moves = {
        e.partner_id: (e.payload["data"]["details"]["previous_tier"], e.payload["data"]["details"]["new_tier"])
        for e in events
    }
    assert moves == {ids["steady"]: (3, 2), ids["thin"]: (2, 3)}
    assert [d.subscription_id for d in deliveries] == [wanted.id, wanted.id]
