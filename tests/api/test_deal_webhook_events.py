"""A deal moved through the PM API is a webhook event at each stage a subscriber can want, in order; and every
timeline kind mapped to a webhook event is one the code writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import get_args

import pytest
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from activities.intro_inputs import INTRO_ANSWER_STATUS
from activities.journey_inputs import JourneyEventKind
from db.models import Journey
from db.session import SessionFactory, transaction
from db.webhook_models import WebhookEvent
from domain.deals import Stage
from domain.webhook_events import TIMELINE_KINDS
from tests.api.helpers import api_client
from tests.api.test_deals import deal, post, seed
from tests.factories import settings_for
from tests.workflows.helpers import partner_ids
from tests.workflows.webhook_helpers import subscribe


def test_every_mapped_timeline_kind_is_one_the_code_writes() -> None:
    written = (
        set(get_args(JourneyEventKind))
        | {f"deal_{s.value}" for s in Stage}
        | {f"intro_{s}" for s in INTRO_ANSWER_STATUS.values()}
        | {"escalated", "tier_changed", "ae_feedback_received"}  # activities/journeys, tier_reviews, feedback
    )
    assert set(TIMELINE_KINDS) - written == set()


@pytest.mark.timeout(120)
async def test_a_deal_on_a_journey_is_registered_accepted_and_won_for_subscribers(
    dev_env: WorkflowEnvironment, sessions: SessionFactory
) -> None:
    ids = await seed(sessions)
    adatum = (await partner_ids(sessions, ids["cohort"]))[0]
    now = datetime.now(UTC)
    async with transaction(sessions) as session:
        session.add(
            Journey(
                id=f"journey/{ids['cohort']}/{adatum}",
                cohort_id=ids["cohort"],
                partner_id=adatum,
                stage="activation",
                status="active",
                started_at=now - timedelta(days=5),
                updated_at=now,
            )
        )
    await subscribe(sessions, "https://crm.example/hooks")
    async with api_client(settings_for(sessions), dev_env.client) as api:
        made = await post(api, deal(account_name="Fabrikam", account_domain="fabrikam.com"))
        assert made.status_code == 201, made.text
        for stage in ("accepted", "open", "closed_won"):
            moved = await api.patch(f"/api/v1/deals/{made.json()['id']}", json={"stage": stage})
            assert moved.status_code == 200, moved.text
    async with transaction(sessions) as session:
        events = list(await session.scalars(select(WebhookEvent).order_by(WebhookEvent.sequence)))
    seen = [(e.type, e.partner_id, e.sequence) for e in events]
    assert [(t, s) for t, _, s in seen] == [("deal.registered", 1), ("deal.accepted", 2), ("deal.won", 3)], seen
    assert {p for _, p, _ in seen} == {adatum}
    assert events[-1].payload["data"]["deal_id"] == made.json()["id"]
