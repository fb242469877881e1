"""Outbound webhook subscriptions of a program: create (the secret is shown once), list, change, delete,
rotate the secret with an overlap, and see or replay deliveries. Every change is audited."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Response
from sqlalchemy.ext.asyncio import AsyncSession

from api.api_keys import actor_of
from api.deps import PMAuth, SessionDep, SettingsDep
from api.errors import AppError, Conflict, NotFound, documented
from api.subscriptions.schemas import (
    DeliveryOut,
    Rotate,
    Rotated,
    SubscriptionChange,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionOut,
)
from db.models import AuditLog, Program
from db.repositories import webhooks
from db.webhook_models import WebhookSubscription
from domain.webhook_signing import new_secret
from domain.webhook_targets import UnsafeTarget, check_url
from settings import Settings
from wiring import webhook_policy

router = APIRouter(
    prefix="/api/v1/programs/{program_id}/webhooks",
    tags=["webhooks"],
    dependencies=[PMAuth],
    responses=documented(401, 404),
)


def _checked_url(url: str, settings: Settings) -> str:
    try:
        check_url(url, webhook_policy(settings))
    except UnsafeTarget as exc:
        raise AppError("the webhook URL is not allowed", [{"path": "body.url", "message": str(exc)}], 422) from exc
    return url


def _audit(session: AsyncSession, action: str, sub: WebhookSubscription, **more: Any) -> None:
    detail = {"program_id": sub.program_id, "subscription_id": sub.id, **more}
    session.add(AuditLog(actor=actor_of(session), action=action, detail=detail))


async def _subscription(session: AsyncSession, program_id: str, sub_id: str) -> WebhookSubscription:
    sub = await session.get(WebhookSubscription, sub_id)
    if sub is None or sub.program_id != program_id:
        raise NotFound(f"webhook subscription {sub_id} not found in program {program_id}")
    return sub


@router.post("", status_code=201, response_model=SubscriptionCreated, responses=documented(413, 422))
async def create_subscription(
    program_id: str, body: SubscriptionCreate, session: SessionDep, settings: SettingsDep
) -> SubscriptionCreated:
    program = await session.get(Program, program_id)
    if program is None:
        raise NotFound(f"program {program_id} not found")
    sub = WebhookSubscription(
        id=str(uuid.uuid4()),
        program_id=program_id,
        url=_checked_url(body.url, settings),
        events=sorted(set(body.events)),
        description=body.description,
        owner_email=(body.owner_email or "").lower(),
        secret=new_secret(),
        enabled=True,
        disabled_reason="",
        consecutive_failures=0,
        created_at=datetime.now(UTC),
    )
    session.add(sub)
    _audit(session, "webhook_created", sub, url=sub.url, events=sub.events)
    await session.flush()
    return SubscriptionCreated(**SubscriptionOut.model_validate(sub).model_dump(), secret=sub.secret)


@router.get("", response_model=list[SubscriptionOut])
async def list_subscriptions(program_id: str, session: SessionDep) -> list[WebhookSubscription]:
    return await webhooks.subscriptions_of(session, program_id)


@router.get("/{sub_id}", response_model=SubscriptionOut)
async def get_subscription(program_id: str, sub_id: str, session: SessionDep) -> WebhookSubscription:
    return await _subscription(session, program_id, sub_id)


@router.patch("/{sub_id}", response_model=SubscriptionOut, responses=documented(413, 422))
async def change_subscription(
    program_id: str, sub_id: str, change: SubscriptionChange, session: SessionDep, settings: SettingsDep
) -> WebhookSubscription:
    sub = await _subscription(session, program_id, sub_id)
    fields = change.model_dump(exclude_unset=True, exclude_none=True)
    if "url" in fields:
        _checked_url(fields["url"], settings)
    if "events" in fields:
        fields["events"] = sorted(set(fields["events"]))
    if fields.get("enabled"):
        fields.update(disabled_reason="", consecutive_failures=0)
    for name, value in fields.items():
        setattr(sub, name, value)
    _audit(session, "webhook_changed", sub, changed=sorted(change.model_dump(exclude_unset=True)))
    await session.flush()
    return sub


@router.delete("/{sub_id}", status_code=204)
async def delete_subscription(program_id: str, sub_id: str, session: SessionDep) -> Response:
    """Its pending deliveries are dropped; a request already on the wire finishes."""
    sub = await _subscription(session, program_id, sub_id)
    _audit(session, "webhook_deleted", sub, url=sub.url)
    await session.delete(sub)
    await session.flush()
    return Response(status_code=204)


@router.post("/{sub_id}/rotate-secret", response_model=Rotated, responses=documented(413, 422))
async def rotate_secret(program_id: str, sub_id: str, body: Rotate, session: SessionDep) -> Rotated:
    """A new secret signs from now on; the current one keeps signing too for `overlap_hours` (each request
    carries both signatures), so receivers can switch without missing one."""
    sub = await _subscription(session, program_id, sub_id)
    until = datetime.now(UTC) + timedelta(hours=body.overlap_hours) if body.overlap_hours else None
    sub.previous_secret, sub.previous_expires_at = (sub.secret, until) if until else (None, None)
    sub.secret = new_secret()
    _audit(session, "webhook_secret_rotated", sub, overlap_hours=body.overlap_hours)
    await session.flush()
    return Rotated(secret=sub.secret, previous_expires_at=until)


@router.get("/{sub_id}/deliveries", response_model=list[DeliveryOut])
async def list_deliveries(program_id: str, sub_id: str, session: SessionDep, limit: int = 100) -> list[DeliveryOut]:
    """The newest deliveries first, each with every attempt (status, latency, response excerpt)."""
    await _subscription(session, program_id, sub_id)
    return [DeliveryOut(**row) for row in await webhooks.deliveries_of(session, sub_id, min(max(limit, 1), 500))]


@router.post(
    "/{sub_id}/deliveries/{delivery_id}/replay", status_code=202, response_model=DeliveryOut, responses=documented(409)
)
async def replay_delivery(program_id: str, sub_id: str, delivery_id: str, session: SessionDep) -> DeliveryOut:
    """Send the delivery again (same event id and body, a fresh timestamp and signature), after this
    partner's deliveries already waiting."""
    sub = await _subscription(session, program_id, sub_id)
    before = await webhooks.replay(session, sub_id, delivery_id)
    if before is None:
        raise NotFound(f"delivery {delivery_id} not found for webhook subscription {sub_id}")
    if before in ("pending", "queued"):
        raise Conflict(f"delivery {delivery_id} is {before}: it is about to be sent", {"status": before})
    _audit(session, "webhook_delivery_replayed", sub, delivery_id=delivery_id)
    await session.flush()
    session.expire_all()
    [row] = await webhooks.deliveries_of(session, sub_id, 1, delivery_id)
    return DeliveryOut(**row)
