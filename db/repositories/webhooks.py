"""Outbound webhooks in the read model: subscriptions, the one function that emits an event, and the
deliveries and their attempts.

`emit` runs in the transaction that records the fact (the timeline event, the tier change, the window's status),
so an event exists exactly when its fact does, once (its id is the fact's business key), with one delivery per
subscription wanting it. Sending is not done here: a dispatcher hands pending deliveries to delivery workflows.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.cosell_models import Deal
from db.models import Cohort, Journey
from db.upsert import insert_ignore
from db.webhook_models import WebhookAttempt, WebhookDelivery, WebhookEvent, WebhookSubscription
from domain.deals import Stage, path
from domain.webhook_events import DEAL_KINDS, TIMELINE_KINDS, EventType, envelope


async def subscriptions_of(session: AsyncSession, program_id: str) -> list[WebhookSubscription]:
    rows = await session.scalars(
        select(WebhookSubscription)
        .where(WebhookSubscription.program_id == program_id)
        .order_by(WebhookSubscription.created_at, WebhookSubscription.id)
    )
    return list(rows)


async def emit(
    session: AsyncSession,
    event_id: str,
    program_id: str,
    partner_id: str | None,
    type_: EventType,
    occurred_at: datetime,
    data: dict[str, Any],
) -> bool:
    """Record one event and its deliveries, unless no enabled subscription of the program wants it or it was
    recorded before. True when this call recorded it. `data` must fit the type's model (domain.webhook_events)."""
    wanted = [
        s.id for s in await subscriptions_of(session, program_id) if s.enabled and type_.value in (s.events or [])
    ]
    if not wanted or await session.get(WebhookEvent, event_id) is not None:
        return False
    sequence = 1 + (
        await session.scalar(
            select(func.coalesce(func.max(WebhookEvent.sequence), 0)).where(
                WebhookEvent.program_id == program_id, WebhookEvent.partner_id == (partner_id or "")
            )
        )
        or 0
    )
    typed = envelope(
        type_,
        id=event_id,
        timestamp=occurred_at,
        program_id=program_id,
        partner_id=partner_id,
        sequence=sequence,
        data=data,
    )
    values = dict(
        id=event_id,
        program_id=program_id,
        partner_id=partner_id or "",
        sequence=sequence,
        type=type_.value,
        payload=typed.model_dump(mode="json"),
        occurred_at=occurred_at,
    )
    if not await insert_ignore(session, WebhookEvent, values):
        return False
    for sub_id in wanted:
        session.add(
            WebhookDelivery(
                id=str(uuid.uuid4()), subscription_id=sub_id, event_id=event_id, partner_id=partner_id or ""
            )
        )
    await session.flush()
    return True


async def emit_timeline(
    session: AsyncSession,
    event_id: str,
    journey_id: str,
    kind: str,
    stage: str,
    step_key: str | None,
    occurred_at: datetime,
    data: dict[str, Any],
) -> bool:
    """A journey timeline event that is a webhook event (domain.webhook_events.TIMELINE_KINDS)."""
    type_ = TIMELINE_KINDS.get(kind)
    if type_ is None:
        return False
    found = (
        await session.execute(
            select(Journey.cohort_id, Journey.partner_id, Cohort.program_id)
            .join(Cohort, Cohort.id == Journey.cohort_id)
            .where(Journey.id == journey_id)
        )
    ).first()
    if found is None:
        return False
    cohort_id, partner_id, program_id = found
    body = dict(
        journey_id=journey_id,
        cohort_id=cohort_id,
        partner_id=partner_id,
        stage=stage,
        step_key=step_key,
        kind=kind,
        details=data,
    )
    return await emit(session, event_id, program_id, partner_id, type_, occurred_at, body)


async def emit_without_journey(
    session: AsyncSession,
    event_id: str,
    program_id: str,
    partner_id: str,
    kind: str,
    at: datetime,
    data: dict[str, Any],
) -> bool:
    """A partner fact (tier changed, AE feedback) for a partner with no journey in the program: the same event
    a timeline row would have made, with no journey, cohort or stage."""
    type_ = TIMELINE_KINDS[kind]
    body = dict(
        journey_id=None, cohort_id=None, partner_id=partner_id, stage=None, step_key=None, kind=kind, details=data
    )
    return await emit(session, event_id, program_id, partner_id, type_, at, body)


async def emit_timeline_many(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """`emit_timeline` for rows written in bulk; nothing to do (one query) when no program has a subscription."""
    rows = [r for r in rows if r["kind"] in TIMELINE_KINDS]
    if not rows or not await any_enabled(session):
        return
    for r in rows:
        await emit_timeline(
            session, r["id"], r["journey_id"], r["kind"], r["stage"], r.get("step_key"), r["occurred_at"], r["data"]
        )


async def emit_window(session: AsyncSession, cohort: Cohort, status: str, at: datetime) -> bool:
    type_ = {"active": EventType.window_launched, "closed": EventType.window_closed}.get(status)
    if type_ is None:
        return False
    body = dict(
        cohort_id=cohort.id, name=cohort.name, status=status, starts_at=cohort.starts_at, ends_at=cohort.ends_at
    )
    return await emit(session, f"window/{cohort.id}/{status}", cohort.program_id, None, type_, at, body)


async def emit_deal(session: AsyncSession, deal: Deal, kind: str, at: datetime, details: dict[str, Any]) -> bool:
    """A deal event for the deal's program, journey or not, under the id its timeline event has."""
    type_ = DEAL_KINDS.get(kind)
    if type_ is None:
        return False
    body: dict[str, Any] = dict(
        deal_id=deal.id,
        partner_id=deal.partner_id,
        cohort_id=deal.cohort_id,
        journey_id=deal.journey_id,
        kind=kind,
        account=deal.account_name,
        stage=deal.stage,
        source=deal.source,
        role=deal.partner_role,
        amount=deal.amount,
        currency=deal.currency,
        expected_close=deal.expected_close,
        crm_id=deal.crm_id,
        registered_at=deal.registered_at,
        closed_at=deal.closed_at,
    )
    if type_ is EventType.deal_registered:
        body["details"] = details
    return await emit(session, f"deal/{deal.id}/{kind}", deal.program_id, deal.partner_id, type_, at, body)


async def emit_deals_created(session: AsyncSession, created: list[tuple[Deal, dict[str, Any]]]) -> None:
    """Deals written in bulk (a CRM import): each registered, then every stage it was created at or past
    (an opportunity imported as won is accepted and won too)."""
    if not created or not await any_enabled(session):
        return
    for deal, details in created:
        await emit_deal(session, deal, "deal_registered", deal.registered_at, details)
        for stage in path(Stage.registered, deal.stage):
            await emit_deal(session, deal, f"deal_{stage.value}", deal.closed_at or deal.registered_at, {})


async def any_enabled(session: AsyncSession) -> bool:
    return await session.scalar(select(WebhookSubscription.id).where(WebhookSubscription.enabled).limit(1)) is not None


async def deliveries_of(
    session: AsyncSession, sub_id: str, limit: int, delivery_id: str | None = None
) -> list[dict[str, Any]]:
    query = (
        select(WebhookDelivery, WebhookEvent.type, WebhookEvent.sequence)
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.subscription_id == sub_id)
        .order_by(WebhookDelivery.created_at.desc(), WebhookEvent.sequence.desc())
        .limit(limit)
    )
    if delivery_id is not None:
        query = query.where(WebhookDelivery.id == delivery_id)
    rows = (await session.execute(query)).all()
    ids = [d.id for d, *_ in rows]
    log: dict[str, list[WebhookAttempt]] = {i: [] for i in ids}
    for attempt in await session.scalars(
        select(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(ids)).order_by(WebhookAttempt.id)
    ):
        log[attempt.delivery_id].append(attempt)
    cols = ("id", "event_id", "partner_id", "status", "attempts", "replays", "last_status_code", "delivered_at")
    return [
        {**{c: getattr(d, c) for c in cols}, "created_at": d.created_at, "type": t, "sequence": s, "log": log[d.id]}
        for d, t, s in rows
    ]


async def replay(session: AsyncSession, sub_id: str, delivery_id: str) -> str | None:
    """Back to `pending` (the dispatcher sends it again). The delivery's status before, or None when it is not
    this subscription's; a delivery still waiting (`pending`/`queued`) is left as it is."""
    delivery = await session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.subscription_id != sub_id:
        return None
    before = delivery.status
    await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status.not_in(("pending", "queued")))
        .values(status="pending", replays=WebhookDelivery.replays + 1)
    )
    return before
