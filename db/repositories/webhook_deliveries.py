"""Outbound webhook deliveries as the delivery activities move them: claimed in partner order, attempted,
delivered or given up (and a subscription that keeps failing disabled)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.webhook_models import WebhookAttempt, WebhookDelivery, WebhookEvent, WebhookSubscription

# A running delivery workflow attempts its current delivery at least hourly (the backoff and a Retry-After are
# both capped at an hour), so queued deliveries with no attempt for longer may be waiting for a closed one.
STALE = timedelta(hours=2)


async def waiting(session: AsyncSession, limit: int, now: datetime) -> list[tuple[str, str]]:
    """(subscription, partner) groups whose delivery workflow the dispatcher asks Temporal about before `claim`:
    those with pending deliveries, and those whose queued deliveries have seen no attempt for `STALE` (a run
    terminated or failed holds them forever otherwise, even with no later event to wake the group)."""
    pending = await session.execute(
        select(WebhookDelivery.subscription_id, WebhookDelivery.partner_id)
        .where(WebhookDelivery.status == "pending")
        .distinct()
        .limit(limit)
    )
    cutoff = now - STALE
    last = (
        select(func.max(WebhookAttempt.attempted_at))
        .where(WebhookAttempt.delivery_id == WebhookDelivery.id)
        .scalar_subquery()
    )
    stale = await session.execute(
        select(WebhookDelivery.subscription_id, WebhookDelivery.partner_id)
        .where(
            WebhookDelivery.status == "queued",
            WebhookDelivery.created_at < cutoff,
            or_(last.is_(None), last < cutoff),
        )
        .distinct()
        .limit(limit)
    )
    return sorted({(s, p) for s, p in pending} | {(s, p) for s, p in stale})


async def claim(
    session: AsyncSession,
    limit: int,
    reopen: Sequence[tuple[str, str]] = (),
    running: Sequence[tuple[str, str]] = (),
) -> list[tuple[str, str, list[str]]]:
    """Pending deliveries, grouped by (subscription, partner) in the partner's event order, now `queued`.
    A group that still has a queued delivery, or whose workflow is `running` (it may be closing), waits: one
    partner's events go out one after another. A group in `reopen` (its delivery workflow is closed) has its
    undelivered queued deliveries sent again first, in sequence, with the pending ones. Deliveries of disabled
    subscriptions become `skipped`. Returns (subscription id, partner id, delivery ids) groups."""
    again = set(reopen)
    busy = {
        (s, p)
        for s, p in await session.execute(
            select(WebhookDelivery.subscription_id, WebhookDelivery.partner_id)
            .where(WebhookDelivery.status == "queued")
            .distinct()
        )
    } - again | set(running)
    stranded = [
        and_(WebhookDelivery.status == "queued", WebhookDelivery.subscription_id == s, WebhookDelivery.partner_id == p)
        for s, p in again
    ]
    rows = await session.execute(
        select(
            WebhookDelivery.id, WebhookDelivery.subscription_id, WebhookDelivery.partner_id, WebhookSubscription.enabled
        )
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .where(or_(WebhookDelivery.status == "pending", *stranded))
        .order_by(WebhookEvent.sequence, WebhookDelivery.created_at)
        .limit(limit)
    )
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    skipped: list[str] = []
    for delivery_id, sub_id, partner_id, enabled in rows:
        if not enabled:
            skipped.append(delivery_id)
        elif (sub_id, partner_id) not in busy:
            groups[(sub_id, partner_id)].append(delivery_id)
    claimed = [d for ids in groups.values() for d in ids]
    if claimed:
        await session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_(claimed), WebhookDelivery.status.in_(("pending", "queued")))
            .values(status="queued")
        )
    if skipped:
        await session.execute(update(WebhookDelivery).where(WebhookDelivery.id.in_(skipped)).values(status="skipped"))
    return [(sub_id, partner_id, ids) for (sub_id, partner_id), ids in groups.items()]


async def load(
    session: AsyncSession, delivery_id: str
) -> tuple[WebhookDelivery, WebhookSubscription, WebhookEvent] | None:
    row = (
        await session.execute(
            select(WebhookDelivery, WebhookSubscription, WebhookEvent)
            .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
            .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
            .where(WebhookDelivery.id == delivery_id)
        )
    ).first()
    return None if row is None else (row[0], row[1], row[2])


async def record_attempt(session: AsyncSession, delivery_id: str, values: dict[str, Any]) -> None:
    session.add(WebhookAttempt(delivery_id=delivery_id, **values))
    await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id)
        .values(attempts=WebhookDelivery.attempts + 1, last_status_code=values.get("status_code"))
    )


async def finish(session: AsyncSession, delivery_id: str, status: str, at: datetime | None = None) -> str | None:
    """A queued delivery becomes delivered / failed / skipped; returns its subscription id if this call moved it."""
    delivery = await session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.status != "queued":
        return None
    delivery.status, delivery.delivered_at = status, at
    sub = await session.get(WebhookSubscription, delivery.subscription_id)
    if sub is not None and status == "delivered":
        sub.consecutive_failures = 0
    elif sub is not None and status == "failed":
        sub.consecutive_failures += 1
    return delivery.subscription_id


async def disable(session: AsyncSession, sub_id: str, reason: str) -> bool:
    """True when this call disabled it (it was enabled)."""
    result = await session.execute(
        update(WebhookSubscription)
        .where(WebhookSubscription.id == sub_id, WebhookSubscription.enabled.is_(True))
        .values(enabled=False, disabled_reason=reason[:500])
    )
    return bool(getattr(result, "rowcount", 0))
