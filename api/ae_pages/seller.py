"""The AE's seller page: /ae/seller/<token>, opened during a live call with the buyer.

Who the buyer is, why this partner, when to bring them in and the problem they solve then (the play's
`seller:` block), the partner's own answers and contact. A signed, expiring, single-purpose token names
one journey (so one partner), one play, one AE and one buyer account (and the deal it was made for);
private headers and rate limits as on every link page. A forged, foreign or unknown link is one 404, an
expired one a 410 that shows nothing. Read only, except that the first opening of the day by a browser
(not a mail scanner's prefetch) goes on the partner's timeline, so the PM sees the AE looked.
"""

from __future__ import annotations

import hashlib

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import SessionDep, SignerDep
from api.link_pages.pages import message, not_found, render_page
from api.link_pages.rate_limit import rate_limited
from db.models import utcnow
from db.repositories import journeys
from db.views.seller import OPENED, PATH, SellerView, seller_view
from domain.links import LinkExpired, LinkInvalid
from domain.visits import not_a_visit

router = APIRouter(prefix=PATH, tags=["AE pages"], include_in_schema=False, dependencies=[Depends(rate_limited)])


@router.get("/{token}", response_class=HTMLResponse)
async def show(token: str, request: Request, session: SessionDep, signer: SignerDep) -> HTMLResponse:
    try:
        claims = signer.verify_seller(token)
    except LinkExpired:
        return message(
            request,
            410,
            "This link has expired",
            "Seller pages stay valid for a while only. Ask the program manager for a fresh link.",
        )
    except LinkInvalid:
        return not_found(request)
    view = await seller_view(session, claims)
    if view is None:
        return not_found(request)
    if not_a_visit(request.method, request.headers.get("user-agent")) is None:
        await record_opened(session, view)
    return render_page(request, "ae_seller.html", v=view, seller=view.play.seller, partner=view.facts.partner)


async def record_opened(session: AsyncSession, view: SellerView) -> bool:
    """Once per AE, account, play and day: reloads during the call add nothing."""
    now, journey = utcnow(), view.facts.journey
    which = hashlib.sha256(f"{view.play.key}/{view.ae.id}/{view.account.id}".encode()).hexdigest()[:16]
    data = {"ae": view.ae.name, "ae_id": view.ae.id, "account": view.account.name, "account_id": view.account.id}
    data["play"] = view.play.key
    if view.deal is not None:
        data["deal_id"] = view.deal.id
    event_id = f"{journey.id}/seller/{which}/{now.date().isoformat()}"
    return await journeys.append_event(session, event_id, journey.id, OPENED, journey.stage, None, now, data)
