"""Deals for the PM: register, read, change, resolve conflicts; closing asks the AE for feedback."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.service import RPCError

from api.after_commit import AfterCommit
from api.api_keys import actor_of
from api.deals.schemas import AttributionOut, DealIn, DealOut, DealPatch, ResolveConflict
from api.errors import AppError, Conflict, NotFound, Unavailable
from api.feedback.start import already_requested, request_feedback
from db.cosell_models import Deal
from db.models import AuditLog, Cohort, Partner, Program
from db.repositories import ae_deal_notices, partners, programs
from db.repositories import deals as repo
from domain.deals import CLOSED, IllegalMove, SaidBy, Stage, whole
from mail import deal_news
from settings import Settings


async def program_of(session: AsyncSession, ref: str) -> Program:
    program = await programs.by_ref(session, ref)
    if program is None:
        raise NotFound(f"program {ref!r} not found", {"program": ref})
    return program


async def partner_of(session: AsyncSession, partner_id: str | None, external_id: str | None) -> Partner:
    partner = None
    if partner_id:
        partner = await session.get(Partner, partner_id)
    elif external_id:
        partner = await partners.by_external_id(session, external_id)
    if partner is None:
        raise NotFound("partner not found", {"partner_id": partner_id, "partner_external_id": external_id})
    return partner


async def deal_of(session: AsyncSession, deal_id: str) -> Deal:
    deal = await session.get(Deal, deal_id)
    if deal is None:
        raise NotFound(f"deal {deal_id} not found")
    return deal


async def out(session: AsyncSession, deal: Deal, feedback_requested: bool | None = None) -> DealOut:
    return (await outs(session, [deal], feedback_requested))[0]


async def outs(session: AsyncSession, deals: list[Deal], feedback_requested: bool | None = None) -> list[DealOut]:
    said = await repo.attributions(session, [d.id for d in deals])
    names = await partners.names(session, {d.partner_id for d in deals})
    emails = await repo.ae_emails(session, {d.ae_id for d in deals if d.ae_id})
    result = []
    for deal in deals:
        rows = said[deal.id]
        best = repo.attribution_of(rows)
        others = await repo.conflicting(session, deal) if deal.conflict == "flagged" else []
        result.append(
            DealOut(
                id=deal.id,
                program_id=deal.program_id,
                partner_id=deal.partner_id,
                partner_name=names.get(deal.partner_id, ""),
                cohort_id=deal.cohort_id,
                journey_id=deal.journey_id,
                account_name=deal.account_name,
                account_key=deal.account_key,
                vendor_account_id=deal.vendor_account_id,
                ae_id=deal.ae_id,
                ae_email=emails.get(deal.ae_id) if deal.ae_id else None,
                crm_id=deal.crm_id,
                source=deal.source,
                stage=deal.stage,
                amount=deal.amount,
                currency=deal.currency,
                partner_role=deal.partner_role,
                expected_close=deal.expected_close,
                conflict=deal.conflict,
                conflicts_with=[o.id for o in others],
                registered_at=deal.registered_at,
                closed_at=deal.closed_at,
                updated_at=deal.updated_at,
                attribution=_attr(best) if best else None,
                attributions=[_attr(r) for r in rows],
                feedback_requested=feedback_requested,
            )
        )
    return result


def _attr(row: Any) -> AttributionOut:
    return AttributionOut(attribution=row.attribution, said_by=row.said_by, actor=row.actor, at=row.at)


async def register(session: AsyncSession, body: DealIn, key: str | None) -> tuple[Deal, bool, str | None]:
    """(deal, created, the owner AE's digest batch still to hear of it). The same Idempotency-Key, or the
    same partner on the same account, returns the first."""
    program = await program_of(session, body.program)
    partner = await partner_of(session, body.partner_id, body.partner_external_id)
    if body.cohort_id:
        cohort = await session.get(Cohort, body.cohort_id)
        if cohort is None or cohort.program_id != program.id:
            raise NotFound(f"cohort {body.cohort_id} not found in program {program.name!r}")
    now = datetime.now(UTC)
    registered = await repo.register(
        session,
        repo.Registration(
            program_id=program.id,
            partner_id=partner.id,
            account_name=body.account_name,
            account_domain=body.account_domain,
            ae_email=body.ae_email,
            amount=whole(body.amount),
            currency=body.currency,
            expected_close=body.expected_close,
            partner_role=body.partner_role.value,
            source="pm",
            # The PM registers on the partner's behalf: the role is the partner's claim, said through the PM.
            attribution_said_by=SaidBy.partner.value,
            actor="pm",
            at=now,
            source_key=f"pm/{key}" if key else None,
            cohort_id=body.cohort_id,
            detail={"description": body.description} if body.description else {},
        ),
    )
    if registered.created:
        session.add(
            AuditLog(
                actor=actor_of(session),
                action="deal_registered",
                cohort_id=registered.deal.cohort_id,
                detail={"deal_id": registered.deal.id, "partner_id": partner.id, "account": body.account_name},
            )
        )
        await session.flush()
    notice = await ae_deal_notices.note(session, registered.deal, registered.created, "pm", body.description or "", now)
    batch = notice.batch_id if notice is not None and notice.status == ae_deal_notices.PENDING else None
    return registered.deal, registered.created, batch


_WHY_REJECTED = "say why the deal is rejected: the partner is told"


@dataclass(frozen=True)
class News:
    """Where a deal change is recorded and its news to the partner queued: the request's transaction,
    its after-commit queue (delivery) and the sender's name (the outbox row's provider)."""

    session: AsyncSession
    queue: AfterCommit
    provider: str


def _illegal(exc: IllegalMove, deal: Deal) -> Conflict:
    return Conflict(str(exc), {"deal_id": deal.id, "from": exc.current, "to": exc.wanted, "allowed": exc.allowed})


async def tell_partner(news: News, deal: Deal, stages: list[Stage], reason: str = "") -> None:
    """Email the partner about each stage it hears of (accepted, rejected, won, lost), after the commit."""
    for stage in stages:
        outbox_id = await deal_news.queue_news(news.session, deal, stage.value, news.provider, reason)
        if outbox_id is not None:
            news.queue.deliver([outbox_id])


async def change(news: News, deal_id: str, body: DealPatch, key: str | None) -> Deal:
    """Apply the PM's changes (each audited); closing is completed by `ask_for_feedback`."""
    session = news.session
    deal = await deal_of(session, deal_id)
    now = datetime.now(UTC)
    changes: dict[str, list[Any]] = {}
    # Checked before comparing stages: the schema requires it of every rejection, a repeated one too.
    if body.stage == Stage.rejected and not body.reason.strip():
        raise AppError("invalid request", [{"path": "reason", "message": _WHY_REJECTED}], status_code=422)
    if body.stage is not None and body.stage != deal.stage:
        before = deal.stage
        try:
            moved = await repo.move(session, deal, body.stage, now)
        except IllegalMove as exc:
            raise _illegal(exc, deal) from exc
        changes["stage"] = [before, deal.stage]
        await tell_partner(news, deal, moved, body.reason)
    for name, value in (
        ("amount", whole(body.amount)),
        ("currency", body.currency),
        ("expected_close", body.expected_close),
    ):
        if value is not None and getattr(deal, name) != value:
            changes[name] = [_plain(getattr(deal, name)), _plain(value)]
            setattr(deal, name, value)
    if body.ae_email is not None:
        ae = await repo.ae_by_email(session, body.ae_email)
        if ae is None:
            raise NotFound(
                f"no account executive with email {body.ae_email}; import the AE first", {"ae_email": body.ae_email}
            )
        if ae.id != deal.ae_id:
            changes["ae_id"] = [deal.ae_id, ae.id]
            deal.ae_id = ae.id
    if body.attribution is not None:
        await repo.say(session, deal.id, body.attribution.value, SaidBy.pm.value, "pm", now)
        changes["attribution"] = [None, body.attribution.value]
    if changes:
        deal.updated_at = now
    if changes or key:
        session.add(
            AuditLog(
                actor=actor_of(session),
                action="deal_updated",
                cohort_id=deal.cohort_id,
                detail={"deal_id": deal.id, "changes": changes, "reason": body.reason},
            )
        )
    await session.flush()
    return deal


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


async def resolve(news: News, deal_id: str, body: ResolveConflict) -> Deal:
    """Keep this deal; reject the other partners' active deals on the account (or keep them all)."""
    session = news.session
    deal = await deal_of(session, deal_id)
    if deal.conflict != "flagged":
        raise Conflict(f"deal {deal.id} has no open conflict", {"deal_id": deal.id, "conflict": deal.conflict})
    now = datetime.now(UTC)
    others = await repo.conflicting(session, deal)
    if body.reject_others:
        for other in others:
            try:
                moved = await repo.move(session, other, Stage.rejected, now)
            except IllegalMove as exc:
                raise Conflict(
                    f"deal {other.id} of the other partner is already {other.stage} and cannot be rejected; "
                    "close it, or resolve with reject_others=false",
                    {"deal_id": other.id, "stage": other.stage},
                ) from exc
            await tell_partner(news, other, moved, body.reason)
    for each in (deal, *others):
        each.conflict, each.updated_at = "resolved", now
        await repo.timeline(
            session,
            each,
            "deal_conflict_resolved",
            now,
            {"kept": deal.id, "reason": body.reason},
            key=f"resolved/{deal.id}",
        )
    session.add(
        AuditLog(
            actor=actor_of(session),
            action="deal_conflict_resolved",
            cohort_id=deal.cohort_id,
            detail={
                "kept": deal.id,
                "rejected": [o.id for o in others] if body.reject_others else [],
                "kept_also": [] if body.reject_others else [o.id for o in others],
                "reason": body.reason,
            },
        )
    )
    await session.flush()
    return deal


async def ask_for_feedback(queue: AfterCommit, client: Client, settings: Settings, deals: list[Deal]) -> list[str]:
    """Every closed deal with an AE gets its feedback request, started once the deals are committed.
    Asking again is a no-op in Temporal (the workflow id is the deal and AE), so a repeated request
    repairs a start that failed. Returns the ids of deals whose AE this call asks."""
    asked = []
    for deal in deals:
        if deal.stage not in CLOSED or deal.ae_id is None:
            continue
        try:
            if await already_requested(client, deal.id, deal.ae_id):
                continue
        except RPCError as exc:
            raise Unavailable(
                "Temporal could not be asked about the AE feedback request, so nothing was saved; repeat the request",
                {"deal_id": deal.id, "reason": str(exc)},
            ) from exc
        queue.run(partial(_start_feedback, client, settings, deal.id, deal.ae_id, deal.partner_id))
        asked.append(deal.id)
    return asked


async def _start_feedback(client: Client, settings: Settings, deal_id: str, ae_id: str, partner_id: str) -> None:
    try:
        await request_feedback(client, settings, deal_id, ae_id, partner_id)
    except RPCError as exc:
        raise Unavailable(
            "the deal is saved but the AE feedback request could not be started; repeat the same request",
            {"deal_id": deal_id, "reason": str(exc)},
        ) from exc


async def listing(
    session: AsyncSession,
    program: str | None,
    partner: str | None,
    conflict: str | None,
    stage: Stage | None,
    program_ids: Collection[str] | None = None,
) -> list[Deal]:
    program_id = (await program_of(session, program)).id if program else None
    return await repo.listing(
        session,
        program_id=program_id,
        partner_id=partner,
        conflict=conflict,
        stage=stage,
        limit=5_000,
        program_ids=program_ids,
    )
