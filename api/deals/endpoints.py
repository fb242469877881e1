from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, File, Form, Query, Response, UploadFile

from api import key_scope
from api.deals import ae_news, crm_import, service
from api.deals.schemas import DealIn, DealList, DealOut, DealPatch, ImportResult, ResolveConflict
from api.deps import (
    AfterCommitDep,
    ColumnMapping,
    IdempotencyKey,
    KeyProgramsDep,
    MailerDep,
    PMAuth,
    SessionDep,
    SessionFactoryDep,
    SettingsDep,
    TemporalDep,
)
from api.errors import documented
from api.fields import NO_NUL
from domain.deals import Stage

router = APIRouter(prefix="/api/v1/deals", tags=["deals"], dependencies=[PMAuth], responses=documented(401))


@router.post(
    "",
    status_code=201,
    response_model=DealOut,
    responses={200: {"model": DealOut, "description": "Already registered"}, **documented(404, 409, 413, 422, 503)},
)
async def register_deal(
    body: DealIn,
    session: SessionDep,
    response: Response,
    key: IdempotencyKey,
    queue: AfterCommitDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    sessions: SessionFactoryDep,
    mine: KeyProgramsDep,
) -> DealOut:
    """Register a co-sell deal for a partner. The same partner on the same account answers 200 with the
    deal already registered (a retry with the same Idempotency-Key gets the first answer); another
    partner's active deal on the account flags both for you to resolve. The account's owner AE is told
    in that day's digest."""
    await key_scope.check_body_program(session, mine, body.program)
    await key_scope.check_body_partner(session, mine, body.partner_id, body.partner_external_id)
    deal, created, owner_batch = await service.register(session, body, key.key)
    ae_news.tell_after_commit(queue, temporal, settings, sessions, deal.id, owner_batch)
    response.status_code = 201 if created else 200
    return await key.answer(await service.out(session, deal), response.status_code)


@router.get("", response_model=DealList, responses=documented(404, 422))
async def list_deals(
    session: SessionDep,
    mine: KeyProgramsDep,
    program: str | None = Query(None, pattern=NO_NUL, description="Program id or name"),
    partner: str | None = Query(None, pattern=NO_NUL, description="Partner id"),
    conflict: Literal["flagged", "resolved"] | None = None,
    stage: Stage | None = None,
) -> DealList:
    """Deals of the key's programs (every program's for an admin's or a bootstrap key)."""
    deals = await service.listing(session, program, partner, conflict, stage, mine)
    return DealList(count=len(deals), deals=await service.outs(session, deals))


@router.post("/import", response_model=ImportResult, responses=documented(404, 409, 413, 422, 503))
async def import_deals(
    session: SessionDep,
    queue: AfterCommitDep,
    key: IdempotencyKey,
    temporal: TemporalDep,
    settings: SettingsDep,
    mailer: MailerDep,
    mapping: ColumnMapping,
    mine: KeyProgramsDep,
    file: UploadFile = File(description="Salesforce or HubSpot opportunity export (CSV, UTF-8)"),
    program: str = Form(pattern=NO_NUL, description="Program id or name the co-sell deals belong to"),
    export_format: Literal["auto", "salesforce", "hubspot"] = Form("auto", alias="format"),
) -> ImportResult:
    """Create and update co-sell deals from a CRM export: the whole file or nothing. Any bad row
    answers 422 with every problem by line and column; importing the same file again changes nothing.
    The program must be one of the key's."""
    await key_scope.check_body_program(session, mine, program)
    news = service.News(session, queue, mailer.name)
    result, closed = await crm_import.run(news, file.file, file.filename or "", program, export_format, mapping)
    asked = await service.ask_for_feedback(queue, temporal, settings, closed)
    return await key.answer(result.model_copy(update={"feedback_requested": len(asked)}), 200)


@router.get("/{deal_id}", response_model=DealOut, responses=documented(404))
async def get_deal(deal_id: str, session: SessionDep) -> DealOut:
    """One deal with everyone's attribution (partner, CRM, AE, PM) and the one that counts."""
    return await service.out(session, await service.deal_of(session, deal_id))


@router.patch("/{deal_id}", response_model=DealOut, responses=documented(404, 409, 413, 422, 503))
async def change_deal(
    deal_id: str,
    body: DealPatch,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    queue: AfterCommitDep,
    key: IdempotencyKey,
    mailer: MailerDep,
) -> DealOut:
    """Move the stage, correct amount, close date or AE, or state the partner's contribution.
    Closing won or lost asks the deal's AE for feedback (repeating the close repairs a missed request).
    Accepted, rejected (a reason is required), won and lost are emailed to the partner's primary contact, once."""
    deal = await service.change(service.News(session, queue, mailer.name), deal_id, body, key.key)
    asked = await service.ask_for_feedback(queue, temporal, settings, [deal])
    out = await service.out(session, deal, deal.id in asked if deal.ae_id and deal.closed_at else None)
    return await key.answer(out, 200)


@router.post("/{deal_id}/resolve-conflict", response_model=DealOut, responses=documented(404, 409, 413, 422))
async def resolve_conflict(
    deal_id: str, body: ResolveConflict, session: SessionDep, queue: AfterCommitDep, mailer: MailerDep
) -> DealOut:
    """Keep this deal and reject the other partners' deals on the account, with a reason (audited); each
    rejected partner is told why."""
    deal = await service.resolve(service.News(session, queue, mailer.name), deal_id, body)
    return await service.out(session, deal)
