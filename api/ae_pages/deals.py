"""The owner AE's look at a partner's deal registration: /ae/deal/<token>, linked from the AE's digest.

Read only: a GET shows the partner, its contact and the accounts the AE owns in that partner's overlap,
and changes nothing (mail scanners prefetch links). Same protections as every link page: a signed,
expiring, single-purpose token naming one deal and one AE, private headers, rate limits; a forged,
foreign or unknown link is one 404, an expired one a 410 that shows nothing.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from api.deps import SessionDep, SignerDep
from api.link_pages.pages import message, not_found, render_page
from api.link_pages.rate_limit import rate_limited
from db.cosell_models import Deal
from db.deal_notice_models import AeDealNotice
from db.models import Partner, Program
from db.repositories import ae_deal_notices, partners
from domain.links import LinkExpired, LinkInvalid

PATH = "/ae/deal"
router = APIRouter(prefix=PATH, tags=["AE pages"], include_in_schema=False, dependencies=[Depends(rate_limited)])


@router.get("/{token}", response_class=HTMLResponse)
async def show(token: str, request: Request, session: SessionDep, signer: SignerDep) -> HTMLResponse:
    try:
        claims = signer.verify_deal_overlap(token)
    except LinkExpired:
        return message(
            request,
            410,
            "This link has expired",
            "Links in the digest stay valid for a while only. Ask the program manager for the partner's overlap.",
        )
    except LinkInvalid:
        return not_found(request)
    notice = await session.get(AeDealNotice, claims.deal_id)
    deal = await session.get(Deal, claims.deal_id)
    # Only the AE the news went to: a token for another AE, or a deal nobody was told of, is not found.
    if notice is None or deal is None or notice.ae_id != claims.ae_id:
        return not_found(request)
    partner = await session.get(Partner, deal.partner_id)
    program = await session.get(Program, deal.program_id)
    if partner is None:
        return not_found(request)
    return render_page(
        request,
        "ae_deal_overlap.html",
        deal=deal,
        partner=partner,
        program_name=program.name if program else "",
        contact=await partners.primary_contact(session, partner.id),
        overlap=await ae_deal_notices.owned_overlap(session, partner.id, claims.ae_id),
        amount=f"{deal.amount:,} {deal.currency}" if deal.amount is not None else "not given",
        note=notice.note,
    )
