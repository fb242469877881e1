"""Facts a journey may wait for (playbooks.model.WaitEvent), noted where they are recorded and told to the
partner's running journeys once the transaction that recorded them commits.

The transaction's owner tells (workflows/journey/tell.py): the API's session dependency, or the activity
that opened the transaction. Each fact has a stable id, so a fact recorded twice (a CRM file imported
again, a retried activity) reaches a journey once: the journey keeps the ids it heard.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.cosell_models import Deal
from db.models import Journey
from domain.deals import Stage
from playbooks.model import WaitEvent
from workflows.journey.messages import PartnerEvent

# A timeline kind -> the facts a wait may wait for; a deal registered already accepted or won (a CRM
# import of a live opportunity) has reached those too.
REACHED: dict[str, tuple[WaitEvent, ...]] = {
    "deal_registered": (WaitEvent.deal_registered, WaitEvent.deal_accepted, WaitEvent.deal_won),
    "deal_accepted": (WaitEvent.deal_accepted,),
    "deal_closed_won": (WaitEvent.deal_won,),
}
ACCEPTED_OR_LATER: dict[WaitEvent, frozenset[Stage]] = {
    WaitEvent.deal_registered: frozenset(Stage),
    WaitEvent.deal_accepted: frozenset({Stage.accepted, Stage.open, Stage.closed_won, Stage.closed_lost}),
    WaitEvent.deal_won: frozenset({Stage.closed_won}),
}


def reached_by(deal: Deal, kind: str, at: datetime) -> list[tuple[str, PartnerEvent]]:
    """The facts a deal's timeline event `kind` tells the partner's journeys, each named by the deal."""
    return [
        (deal.partner_id, PartnerEvent(id=f"{reached.value}/{deal.id}", kind=reached, occurred_at=at))
        for reached in REACHED.get(kind, ())
        if kind != "deal_registered" or Stage(deal.stage) in ACCEPTED_OR_LATER[reached]
    ]


_QUEUE = "cosell_partner_events"
Told = list[tuple[str, PartnerEvent]]  # (journey id, event)


async def note(
    session: AsyncSession, partner_id: str, kind: WaitEvent, fact: str, at: datetime, tier: int | None = None
) -> None:
    """Queue the fact for each of the partner's running journeys; `fact` names it (its dedupe id)."""
    await note_many(session, [(partner_id, event(kind, fact, at, tier))])


def event(kind: WaitEvent, fact: str, at: datetime, tier: int | None = None) -> PartnerEvent:
    return PartnerEvent(id=f"{kind.value}/{fact}", kind=kind, occurred_at=at, tier=tier)


async def note_many(session: AsyncSession, facts: list[tuple[str, PartnerEvent]]) -> None:
    """note() for many (partner id, event): the partners' running journeys read in one query (bulk imports)."""
    if not facts:
        return
    rows = await session.execute(
        select(Journey.partner_id, Journey.id).where(
            Journey.partner_id.in_({p for p, _ in facts}), Journey.status.not_in(("completed", "exited"))
        )
    )
    running: dict[str, list[str]] = {}
    for partner_id, journey in rows:
        running.setdefault(partner_id, []).append(journey)
    queue: Told = session.info.setdefault(_QUEUE, [])
    queue.extend((journey, event) for partner_id, event in facts for journey in sorted(running.get(partner_id, [])))


def pending(session: AsyncSession) -> Told:
    """What the committed transaction noted; taken, so it is told once."""
    told: Told = session.info.pop(_QUEUE, [])
    return told
