"""A feedback request with everything around it: the deal, the AE, the partner and the program."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from db.cosell_models import AccountExecutive, AeFeedback, Deal
from db.models import Partner, Program


def outcome_of(deal: Deal) -> str:
    return {"closed_won": "won", "closed_lost": "lost"}.get(deal.stage, deal.stage)


@dataclass(frozen=True)
class FeedbackFacts:
    row: AeFeedback
    deal: Deal
    ae: AccountExecutive
    partner: Partner
    program: Program | None


async def feedback_facts(session: AsyncSession, deal_id: str, ae_id: str) -> FeedbackFacts | None:
    row = await session.get(AeFeedback, (deal_id, ae_id))
    deal = await session.get(Deal, deal_id)
    ae = await session.get(AccountExecutive, ae_id)
    if row is None or deal is None or ae is None:
        return None
    partner = await session.get(Partner, deal.partner_id)
    if partner is None:
        return None
    return FeedbackFacts(row, deal, ae, partner, await session.get(Program, deal.program_id))
