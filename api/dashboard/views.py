"""What each dashboard page shows, read through the same services and repositories as the JSON API."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from api.intel import service as intel_service
from api.intel.schemas import SignalsOut
from db.models import JourneyEvent
from db.repositories import partner_facts
from db.repositories.users import Viewer
from db.views import dashboard, seller
from db.views import today as today_view
from domain.intel.facts import DealFact, Submission
from domain.intel.today import TodayItem, order

TODAY_LIMIT = 50
UNSETTLED_IMPACT = 4  # as an unanswered intro: the partner may be waiting for an email that never came
TIMELINE_LIMIT = 100


async def today(session: AsyncSession, viewer: Viewer, moment: datetime) -> today_view.Today:
    """The act-today items of every running cohort the viewer may see, read in SQL and ranked by the intel
    list's rule (db/views/today.py), and the partners' emails nobody could confirm were sent
    (GET /api/v1/emails/unsettled lists them all)."""
    found = await today_view.today(session, viewer.program_ids, moment, TODAY_LIMIT)
    entries = list(found.entries)
    for email in await dashboard.unsettled_emails(session, viewer.program_ids, TODAY_LIMIT):
        entries.append(today_view.Entry(_unsettled_item(email, moment), email.cohort_id, email.cohort_name))
    entries.sort(key=lambda e: order(e.item))
    return today_view.Today(entries[:TODAY_LIMIT], found.reviewed_at)


def _unsettled_item(email: dashboard.UnsettledEmail, moment: datetime) -> TodayItem:
    """Ranked like the intel list's items (domain/intel/today.py): impact 4, urgency up by one every 2 days."""
    urgency = min(5, 1 + max((moment - email.since).days, 0) // 2)
    return TodayItem(
        kind="email_unsettled",
        partner_id=email.partner_id,
        partner_name=email.partner_name,
        reason=f"“{email.subject}” to {email.to_email} may never have arrived: {email.why}.",
        action="Check your email provider's log; if it never arrived, reach the partner another way",
        link="/api/v1/emails/unsettled",
        since=email.since,
        impact=UNSETTLED_IMPACT,
        urgency=urgency,
    )


@dataclass
class Partner360:
    partner_id: str
    name: str
    journeys: list[dashboard.JourneyRow]
    timeline: list[JourneyEvent]
    signals: SignalsOut | None
    deals: list[DealFact]
    submissions: list[Submission] = field(default_factory=list)  # answers the PM can approve or send back
    seller_links: list[seller.PartnerSellerLink] = field(default_factory=list)  # for the PM to copy to an AE


async def partner(session: AsyncSession, partner_id: str, moment: datetime, viewer: Viewer) -> Partner360 | None:
    """Journeys, their timeline and deals only from the viewer's programs (a partner can be in several);
    the signals judge the whole partner, as the API's signals do."""
    facts = await partner_facts.load_one(session, partner_id)
    if facts is None:
        return None
    journeys = [j for j in await dashboard.journeys_of_partner(session, partner_id) if viewer.sees(j.program_id)]
    programs = await dashboard.deal_programs(session, [d.deal_id for d in facts.deals])
    deals = [d for d in facts.deals if viewer.sees(programs.get(d.deal_id, ""))]
    return Partner360(
        partner_id=partner_id,
        name=facts.name,
        journeys=journeys,
        timeline=await dashboard.timeline(session, [j.journey.id for j in journeys], TIMELINE_LIMIT),
        signals=await intel_service.signals(session, partner_id, moment),
        deals=sorted(deals, key=lambda d: d.registered_at, reverse=True),
        submissions=[s for s in facts.submissions if s.journey_id in {j.journey.id for j in journeys}],
        seller_links=await seller.links_of_partner(session, partner_id, [j.journey.id for j in journeys]),
    )
