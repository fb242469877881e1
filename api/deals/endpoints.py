from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Header, Query, Response, UploadFile

from api.deals import crm_import, service
from api.deals.schemas import DealIn, DealList, DealOut, DealPatch, ImportResult, ResolveConflict
from api.deps import ColumnMapping, PMAuth, SessionDep, SettingsDep, TemporalDep

IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]

router = APIRouter(prefix="/api/v1/deals", tags=["deals"], dependencies=[PMAuth])


@router.post("", status_code=201, response_model=DealOut)
async def register_deal(body: DealIn, session: SessionDep, response: Response, key: IdempotencyKey = None) -> DealOut:
    """Register a co-sell deal for a partner. The same partner on the same account (or the same
    Idempotency-Key) answers 200 with the deal already registered; another partner's active deal on
    the account flags both for you to resolve."""
    deal, created = await service.register(session, body, key)
    if not created:
        response.status_code = 200
    return await service.out(session, deal)


@router.get("", response_model=DealList)
async def list_deals(
    session: SessionDep,
    program: str | None = Query(None, description="Program id or name"),
    partner: str | None = Query(None, description="Partner id"),
    conflict: str | None = Query(None, pattern="^(flagged|resolved)$"),
    stage: str | None = None,
) -> DealList:
    deals = await service.listing(session, program, partner, conflict, stage)
    return DealList(count=len(deals), deals=await service.outs(session, deals))


@router.post("/import", response_model=ImportResult)
async def import_deals(
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    mapping: ColumnMapping,
    file: UploadFile = File(description="Salesforce or HubSpot opportunity export (CSV, UTF-8)"),
    program: str = Form(description="Program id or name the co-sell deals belong to"),
    export_format: str = Form("auto", alias="format", pattern="^(auto|salesforce|hubspot)$"),
    key: IdempotencyKey = None,
) -> ImportResult:
    """Create and update co-sell deals from a CRM export: the whole file or nothing. Any bad row
    answers 422 with every problem by line and column; importing the same file again changes nothing."""
    result, closed = await crm_import.run(session, file.file, file.filename or "", program, export_format, mapping, key)
    await session.commit()
    started = await service.ask_for_feedback(temporal, settings, closed)
    return result.model_copy(update={"feedback_requested": len(started)})


@router.get("/{deal_id}", response_model=DealOut)
async def get_deal(deal_id: str, session: SessionDep) -> DealOut:
    """One deal with everyone's attribution (partner, CRM, AE, PM) and the one that counts."""
    return await service.out(session, await service.deal_of(session, deal_id))


@router.patch("/{deal_id}", response_model=DealOut)
async def change_deal(
    deal_id: str,
    body: DealPatch,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    key: IdempotencyKey = None,
) -> DealOut:
    """Move the stage, correct amount, close date or AE, or state the partner's contribution.
    Closing won or lost asks the deal's AE for feedback (repeating the close repairs a missed request)."""
    deal = await service.change(session, deal_id, body, key)
    await session.commit()
    started = await service.ask_for_feedback(temporal, settings, [deal])
    return await service.out(session, deal, deal.id in started if deal.ae_id and deal.closed_at else None)


@router.post("/{deal_id}/resolve-conflict", response_model=DealOut)
async def resolve_conflict(deal_id: str, body: ResolveConflict, session: SessionDep) -> DealOut:
    """Keep this deal and reject the other partners' deals on the account, with a reason (audited)."""
    deal = await service.resolve(session, deal_id, body)
    return await service.out(session, deal)
