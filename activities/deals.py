"""Deal registration from a partner's completed deal_registration step.

Idempotent by business identity: the deal's source key is journey/step, so a retried activity, a
replayed journey or a journey begun before the activity existed (whose projection registered the deal,
activities/journeys.py) all end with one deal, and the owner AE hears of it once, in that day's digest.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.ae_deal_news import pending_batch, tell_owner
from activities.deal_inputs import RegisterDeal
from activities.family import ActivityFamily
from db.models import Cohort
from db.repositories import ae_deal_notices, deals, partners
from db.session import transaction
from workflows.journey.tell import tell_recorded


@dataclass(frozen=True)
class StepDeal:
    deal_id: str
    owner_batch: str | None  # the owner AE's digest batch still to hear of it (after the commit)


async def register_step_deal(session: AsyncSession, req: RegisterDeal) -> StepDeal | None:
    """The deal and where its news to the owner AE goes; None for a snapshot whose step asks no deal fields."""
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
    if registered is None:
        return None
    description = str(req.answers.get("description") or "")
    notice = await ae_deal_notices.note(
        session,
        registered.deal,
        registered.created,
        contact.email if contact else "the partner",
        description,
        req.registered_at,
    )
    return StepDeal(registered.deal.id, pending_batch(notice))


async def tell_owner_of(family: ActivityFamily, registered: StepDeal | None) -> None:
    """After the registration's commit: the owner AE's batch of the day gets the deal (once; see join)."""
    if registered is not None:
        settings = family._settings
        await tell_owner(
            family._sessions,
            registered.owner_batch,
            registered.deal_id,
            settings.task_queue,
            settings.link_max_age_days,
        )


class DealActivities(ActivityFamily):
    @activity.defn
    async def register_deal(self, req: RegisterDeal) -> str | None:
        async with transaction(self._sessions) as session:
            registered = await register_step_deal(session, req)
        await tell_recorded(session)
        await tell_owner_of(self, registered)
        return registered.deal_id if registered else None

    def all(self) -> list:  # type: ignore[type-arg]
        return [self.register_deal]
