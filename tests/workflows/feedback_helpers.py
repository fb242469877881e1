"""Closed co-sell deals and their AEs, written straight into the read model (as the deals side will)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select

from db.cosell_models import AeFeedback, Deal
from db.models import Cohort, EmailOutbox, JourneyEvent, Partner
from db.session import SessionFactory, transaction
from tests import deal_data


async def add_ae(sessions: SessionFactory, name: str = "Jordan Reyes", territory: str = "US East Enterprise") -> str:
    email = name.lower().replace(" ", ".") + "@vendor.example"
    return await deal_data.add_ae(sessions, email, name, territory=territory)


async def add_deal(
    sessions: SessionFactory,
    cohort_id: str,
    partner_id: str,
    ae_id: str,
    *,
    account: str = "Contoso Health",
    stage: str = "closed_won",
    amount: int = 180_000,
    registered_at: datetime,
) -> str:
    deal_id = str(uuid.uuid4())
    async with transaction(sessions) as session:
        cohort = await session.get(Cohort, cohort_id)
        assert cohort is not None
        session.add(
            Deal(
                id=deal_id,
                program_id=cohort.program_id,
                partner_id=partner_id,
                cohort_id=cohort_id,
                account_name=account,
                account_key=account.lower().replace(" ", ""),
                ae_id=ae_id,
                source="pm",
                stage=stage,
                amount=amount,
                partner_role="sourced",
                registered_at=registered_at,
                closed_at=registered_at if stage.startswith("closed") else None,
            )
        )
    return deal_id


async def feedback_row(sessions: SessionFactory, deal_id: str, ae_id: str) -> AeFeedback | None:
    async with transaction(sessions) as session:
        return await session.get(AeFeedback, (deal_id, ae_id))


async def feedback_emails(sessions: SessionFactory, deal_id: str) -> list[EmailOutbox]:
    async with transaction(sessions) as session:
        rows = await session.scalars(
            select(EmailOutbox)
            .where(EmailOutbox.dedupe_key.startswith(f"feedback/{deal_id}/"))
            .order_by(EmailOutbox.dedupe_key)
        )
        return list(rows)


async def partner_row(sessions: SessionFactory, partner_id: str) -> Partner:
    async with transaction(sessions) as session:
        row = await session.get(Partner, partner_id)
        assert row is not None
        return row


async def timeline(sessions: SessionFactory, journey_id: str) -> list[JourneyEvent]:
    async with transaction(sessions) as session:
        rows = await session.scalars(
            select(JourneyEvent).where(JourneyEvent.journey_id == journey_id).order_by(JourneyEvent.occurred_at)
        )
        return list(rows)


ANSWERS: dict[str, Any] = {
    "contribution": "sourced",
    "role_clarity": 5,
    "responsiveness": 4,
    "invite_again": True,
    "comment": "Their architect ran the discovery workshop and found the data-residency blocker early.",
}
