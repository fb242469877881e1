"""Deal registration from a partner's completed deal_registration step.

Idempotent by business identity: the deal's source key is journey/step, so a retried activity, a
replayed journey or a journey begun before the activity existed (whose projection registered the deal,
activities/journeys.py) all end with one deal.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.deal_inputs import RegisterDeal
from activities.family import ActivityFamily
from db.models import Cohort
from db.repositories import deals, partners
from db.session import transaction
from workflows.journey.tell import tell_recorded


async def register_step_deal(session: AsyncSession, req: RegisterDeal) -> str | None:
    """The deal's id; None for a snapshot whose step asks no deal fields."""
    cohort = await session.get(Cohort, req.cohort_id)
    if cohort is None:
        raise ApplicationError(f"cohort {req.cohort_id} not found", type="NotFound", non_retryable=True)
    contact = await partners.primary_contact(session, req.partner_id)
    registered = await deals.register_from_step(
        session,
        program_id=cohort.program_id,
        cohort_id=cohort.id,
        partner_id=req.partner_id,
        journey_id=req.journey_id,
        step_key=req.step_key,
        answers=req.answers,
        actor=contact.email if contact else req.partner_id,
        at=req.registered_at,
    )
    return registered.deal.id if registered else None


class DealActivities(ActivityFamily):
    @activity.defn
    async def register_deal(self, req: RegisterDeal) -> str | None:
        async with transaction(self._sessions) as session:
            deal_id = await register_step_deal(session, req)
        await tell_recorded(session)
        return deal_id

    def all(self) -> list:  # type: ignore[type-arg]
        return [self.register_deal]
