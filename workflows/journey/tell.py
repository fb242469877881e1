"""Tell running journeys what was recorded about their partner (db/repositories/partner_events.py).

Client side, not workflow code: the API's session dependency and the recording activities call it after
their transaction commits, so a journey never hears of a fact the database does not hold.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from db.repositories import partner_events
from workflows.journey.messages import PartnerEvent


async def tell_journeys(client: Client, told: list[tuple[str, PartnerEvent]]) -> None:
    # Imported here: the journey's module imports the activities that call this one.
    from workflows.journey.workflow import PartnerJourneyWorkflow

    for journey, event in told:
        try:
            await client.get_workflow_handle(journey).signal(PartnerJourneyWorkflow.partner_event, event)
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise  # an activity retries (the journey drops the repeat); the API reports it
            # NOT_FOUND: the journey ended since the read model listed it as running; nothing waits any more


async def tell_recorded(session: AsyncSession) -> None:
    """From an activity, after its transaction: what it recorded reaches the partner's running journeys.
    An activity's method called as a plain coroutine (tests of the recording itself) has no Temporal client
    and nothing running to tell; the recording is all it does."""
    if (told := partner_events.pending(session)) and activity.in_activity():
        await tell_journeys(activity.client(), told)
