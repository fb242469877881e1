"""Deal news to the partner: its deal was accepted, rejected (with the reason), won or lost.

Queued in the caller's transaction (where the stage change is recorded) under the business key
`deal-news/{deal}/{stage}`, so a retried or repeated change writes one outbox row and sends once.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from db.cosell_models import Deal
from db.models import Partner, Program
from db.repositories import partners
from mail.queue import Email, queue

KIND = "deal_news"
HEADLINES = {
    "accepted": "was accepted",
    "rejected": "was not accepted",
    "closed_won": "was won",
    "closed_lost": "was lost",
}
NEWS = frozenset(HEADLINES)


def dedupe_key(deal_id: str, stage: str) -> str:
    return f"deal-news/{deal_id}/{stage}"


async def queue_news(session: AsyncSession, deal: Deal, stage: str, provider: str, reason: str = "") -> str | None:
    """The outbox id of the partner's email about `deal` reaching `stage`; None when the stage is no news
    to the partner (registered, open) or the partner has no contact to tell."""
    if stage not in NEWS:
        return None
    contact = await partners.primary_contact(session, deal.partner_id)
    partner = await session.get(Partner, deal.partner_id)
    program = await session.get(Program, deal.program_id)
    if contact is None or partner is None or program is None:
        return None
    headline = HEADLINES[stage]
    email = Email(
        kind=KIND,
        dedupe_key=dedupe_key(deal.id, stage),
        to_email=contact.email,
        to_name=contact.name,
        subject=f"{program.name}: your deal on {deal.account_name} {headline}",
        template="deal_news",
        context=dict(
            contact_name=contact.name,
            partner_name=partner.name,
            program_name=program.name,
            account_name=deal.account_name,
            headline=headline,
            stage=stage,
            reason=reason.strip(),
            amount=f"{deal.amount:,} {deal.currency}" if deal.amount is not None else "",
            pm_email=program.pm_email,
        ),
        journey_id=deal.journey_id,  # a journey's email: replies go to the PM, bounces reach its timeline
    )
    outbox_id, _ = await queue(session, email, provider)
    return outbox_id
