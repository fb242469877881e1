"""What an AE's seller page shows: one partner, for one AE on one buyer account (and the deal it was made
for), during a live call. Read from the read model and the playbook version the partner's journey runs;
everything about the partner is read by the journey's partner id, so a link shows nothing of another."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.cosell_models import AccountExecutive, AccountMatch, Deal, VendorAccount
from db.models import Journey, JourneyEvent, PartnerContact
from db.repositories import journeys, partners
from db.views.intros import OnePagerSection, one_pager
from db.views.journeys import JourneyFacts, journey_facts
from domain.links import SellerClaims
from playbooks.model import Play, Playbook, StepKind

PATH = "/ae/seller"  # where the page lives (api/ae_pages/seller.py), for the links made here
OPENED = "seller_page_opened"  # the timeline event of an AE opening the page


@dataclass(frozen=True)
class Overlap:
    on_account: bool  # the partner listed this account too
    match_key: str  # domain | name: how it matched
    accounts: int  # how many of our accounts the partner shares with us
    with_ae: int  # of those, how many this AE owns


@dataclass(frozen=True)
class SellerView:
    facts: JourneyFacts
    play: Play
    ae: AccountExecutive
    account: VendorAccount
    deal: Deal | None
    overlap: Overlap
    won_deals: int
    answers: list[OnePagerSection]
    contact: PartnerContact | None


def seller_play(playbook: Playbook, *, deal: bool = False, step_key: str | None = None) -> Play | None:
    """The play whose sales moment a link is for: the step's own play when it has one, else the first play
    with a seller block around a deal registration (`deal`) or an intro request, else the first one at all."""
    plays = [play for stage in playbook.stages for play in stage.plays if play.seller is not None]
    if step_key is not None:
        try:
            own = playbook.play_of(step_key)
        except KeyError:
            own = None
        if own is not None and own.seller is not None:
            return own
    kind = StepKind.deal_registration if deal else StepKind.ae_intro_request
    return next((p for p in plays if any(s.kind == kind for s in p.steps)), plays[0] if plays else None)


async def _overlap(session: AsyncSession, partner_id: str, account_id: str, ae_id: str) -> Overlap:
    match = await session.scalar(
        select(AccountMatch.match_key)
        .where(AccountMatch.partner_id == partner_id, AccountMatch.vendor_account_id == account_id)
        .limit(1)
    )
    shared = (
        select(func.count(func.distinct(AccountMatch.vendor_account_id)))
        .select_from(AccountMatch)
        .where(AccountMatch.partner_id == partner_id)
    )
    mine = shared.join(VendorAccount, VendorAccount.id == AccountMatch.vendor_account_id).where(
        VendorAccount.owner_ae_id == ae_id
    )
    return Overlap(match is not None, match or "", await session.scalar(shared) or 0, await session.scalar(mine) or 0)


async def seller_view(session: AsyncSession, claims: SellerClaims) -> SellerView | None:
    """None for anything the link cannot vouch for: a journey, play, AE or account gone, or a deal of
    another partner."""
    facts = await journey_facts(session, claims.journey_id)
    if facts is None:
        return None
    play = next((p for s in facts.playbook.stages for p in s.plays if p.key == claims.play_key), None)
    ae = await session.get(AccountExecutive, claims.ae_id)
    account = await session.get(VendorAccount, claims.account_id)
    deal = await session.get(Deal, claims.deal_id) if claims.deal_id else None
    if play is None or play.seller is None or ae is None or account is None:
        return None
    if claims.deal_id and (deal is None or deal.partner_id != facts.partner.id):
        return None
    won = await session.scalar(
        select(func.count()).where(Deal.partner_id == facts.partner.id, Deal.stage == "closed_won")
    )
    return SellerView(
        facts=facts,
        play=play,
        ae=ae,
        account=account,
        deal=deal,
        overlap=await _overlap(session, facts.partner.id, account.id, ae.id),
        won_deals=won or 0,
        answers=one_pager(facts.playbook, await journeys.submissions(session, claims.journey_id)),
        contact=await partners.primary_contact(session, facts.partner.id),
    )


async def claims_for(
    session: AsyncSession,
    journey_id: str | None,
    ae_id: str,
    account_id: str | None,
    *,
    step_key: str | None = None,
    deal: Deal | None = None,
) -> SellerClaims | None:
    """A seller link's claims for an intro request (its step) or a deal; None when the partner's playbook
    version has no sales moment to show (or the deal names no journey or account)."""
    if deal is not None and journey_id is None and deal.cohort_id is not None:
        journey_id = await session.scalar(
            select(Journey.id).where(Journey.cohort_id == deal.cohort_id, Journey.partner_id == deal.partner_id)
        )
    facts = await journey_facts(session, journey_id) if journey_id else None
    if facts is None or account_id is None:
        return None
    play = seller_play(facts.playbook, deal=deal is not None, step_key=step_key)
    if play is None:
        return None
    return SellerClaims(facts.journey.id, play.key, ae_id, account_id, deal.id if deal else None)


@dataclass(frozen=True)
class PartnerSellerLink:
    """A seller page the PM can copy from the partner's dashboard page: one per overlapping account with an
    owner AE, with when that AE last opened it."""

    ae_name: str
    account_name: str
    deal: bool
    claims: SellerClaims
    opened_at: datetime | None


async def links_of_partner(
    session: AsyncSession, partner_id: str, journey_ids: list[str], limit: int = 20
) -> list[PartnerSellerLink]:
    """For the newest of these journeys whose playbook version has a sales moment: the partner's overlapping
    accounts that have an owner AE (open opportunities first), each on the partner's latest deal there."""
    for journey_id in journey_ids:
        facts = await journey_facts(session, journey_id)
        if facts is not None and seller_play(facts.playbook) is not None:
            break
    else:
        return []
    rows = await session.execute(
        select(VendorAccount, AccountExecutive)
        .join(AccountMatch, AccountMatch.vendor_account_id == VendorAccount.id)
        .join(AccountExecutive, AccountExecutive.id == VendorAccount.owner_ae_id)
        .where(AccountMatch.partner_id == partner_id)
        .distinct()
        .order_by(VendorAccount.has_open_opportunity.desc(), VendorAccount.name, VendorAccount.id)
        .limit(limit)
    )
    deals = await session.scalars(
        select(Deal)
        .where(Deal.partner_id == partner_id, Deal.vendor_account_id.is_not(None))
        .order_by(Deal.registered_at)
    )
    latest = {d.vendor_account_id: d for d in deals}
    opened = await _opened(session, facts.journey.id)
    links = []
    for account, ae in rows:
        deal = latest.get(account.id)
        play = seller_play(facts.playbook, deal=deal is not None)
        if play is not None:
            claims = SellerClaims(facts.journey.id, play.key, ae.id, account.id, deal.id if deal else None)
            links.append(
                PartnerSellerLink(ae.name, account.name, deal is not None, claims, opened.get((ae.id, account.id)))
            )
    return links


async def _opened(session: AsyncSession, journey_id: str) -> dict[tuple[str, str], datetime]:
    """When each (AE, account) seller page of the journey was last opened (api/ae_pages/seller.py records it)."""
    events = await session.scalars(
        select(JourneyEvent)
        .where(JourneyEvent.journey_id == journey_id, JourneyEvent.kind == OPENED)
        .order_by(JourneyEvent.occurred_at)
    )
    return {(e.data.get("ae_id", ""), e.data.get("account_id", "")): e.occurred_at for e in events}
