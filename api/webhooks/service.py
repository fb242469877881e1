"""Apply a batch of SendGrid events: store each once, move outbox rows forward, record journey signals,
suppress addresses that must not get more email, and queue the PM's alert.

Redeliveries are expected (SendGrid retries, and has been seen to resend with new event ids), so
every effect is idempotent on its own: the event row is unique, status only moves forward, journey
events have business ids, suppressions only widen, and the PM alert has a dedupe key.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import EmailOutbox
from db.repositories import journeys, outbox, suppressions
from db.views.journeys import journey_facts
from mail import notices
from mail.sendgrid import OUTBOX_ARG

log = logging.getLogger(__name__)

# Provider event -> the outbox status it proves (processed/deferred: accepted; opens/clicks: delivered).
STATUS = {
    "processed": "sent",
    "deferred": "sent",
    "delivered": "delivered",
    "open": "delivered",
    "click": "delivered",
    "bounce": "bounced",
    "dropped": "dropped",
}
FIRST_SEEN = {"delivered": "delivered_at", "open": "opened_at", "click": "clicked_at"}
# Behavioural signals on the journey's timeline. Opens and clicks are noisy (scanners, Apple MPP):
# they are evidence for scores, never a trigger for workflow decisions.
SIGNAL = {
    "delivered": "email_delivered",
    "open": "email_opened",
    "click": "email_clicked",
    "bounce": "email_bounced",
    "dropped": "email_dropped",
    "spamreport": "email_spamreport",
    "unsubscribe": "email_unsubscribed",
    "group_unsubscribe": "email_unsubscribed",
}
# Only these details are kept: a click's URL could carry a link token, a user agent is personal data.
KEPT = ("reason", "status", "type", "bounce_classification", "sg_machine_open", "attempt")
DROPPED_REASONS = {
    "Bounced Address": (suppressions.ALL, "bounce"),
    "Invalid": (suppressions.ALL, "bounce"),
    "Spam Reporting Address": (suppressions.ALL, "spamreport"),
    "Unsubscribed Address": (suppressions.REMINDERS, "unsubscribe"),
}


@dataclass
class BatchResult:
    received: int = 0
    new: int = 0
    ignored: int = 0
    alerts: list[str] | None = None


def suppression_for(event: dict[str, Any]) -> tuple[str, str] | None:
    """(scope, reason) when this event means we must stop emailing the address."""
    kind = event.get("event")
    if kind == "bounce" and event.get("type", "bounce") == "bounce":  # "blocked" is temporary, not hard
        return suppressions.ALL, "bounce"
    if kind == "dropped":
        return DROPPED_REASONS.get(str(event.get("reason", "")))
    if kind == "spamreport":
        return suppressions.ALL, "spamreport"
    if kind in ("unsubscribe", "group_unsubscribe"):
        return suppressions.REMINDERS, "unsubscribe"
    return None


def _event_id(event: dict[str, Any]) -> str:
    given = event.get("sg_event_id")
    if isinstance(given, str) and given:
        return f"sendgrid:{given[:180]}"
    digest = hashlib.sha256(json.dumps(event, sort_keys=True, default=str).encode()).hexdigest()
    return f"sendgrid:sha256:{digest}"


def _valid(event: Any) -> bool:
    return (
        isinstance(event, dict)
        and isinstance(event.get("event"), str)
        and isinstance(event.get("email"), str)
        and isinstance(event.get("timestamp"), int)
    )


async def _outbox_row(session: AsyncSession, event: dict[str, Any]) -> EmailOutbox | None:
    outbox_id = event.get(OUTBOX_ARG)
    if isinstance(outbox_id, str) and outbox_id:
        return await outbox.get(session, outbox_id[:36])
    message_id = event.get("sg_message_id")
    if isinstance(message_id, str) and message_id:
        # sg_message_id starts with the X-Message-Id that Mail Send returned.
        return await outbox.by_provider_message_id(session, message_id.split(".", 1)[0])
    return None


async def apply_batch(session: AsyncSession, events: list[Any], provider: str, base_url: str) -> BatchResult:
    result = BatchResult(received=len(events), alerts=[])
    for event in events:
        if not _valid(event):
            result.ignored += 1
            continue
        if await _apply(session, event, provider, base_url, result):
            result.new += 1
    return result


async def _apply(
    session: AsyncSession, event: dict[str, Any], provider: str, base_url: str, result: BatchResult
) -> bool:
    row = await _outbox_row(session, event)
    occurred_at = datetime.fromtimestamp(event["timestamp"], UTC)
    kind = event["event"][:30]
    stored = await outbox.record_event(
        session,
        dict(
            provider_event_id=_event_id(event),
            outbox_id=row.id if row else None,
            event=kind,
            email=event["email"][:320],
            occurred_at=occurred_at,
            data={k: event[k] for k in KEPT if k in event},
        ),
    )
    if not stored:
        return False  # seen before: every effect below already happened
    if row is not None:
        await _update_outbox(session, row, kind, occurred_at)
        if row.journey_id and kind in SIGNAL and not notices.is_pm_email(row.kind):
            await _signal(session, row, kind, occurred_at, event)
    suppression = suppression_for(event)
    if suppression is not None:
        alert = await _suppress(session, event["email"], row, suppression, occurred_at, provider, base_url)
        if alert:
            assert result.alerts is not None
            result.alerts.append(alert)
    return True


async def _update_outbox(session: AsyncSession, row: EmailOutbox, kind: str, at: datetime) -> None:
    if kind in STATUS:
        await outbox.advance(session, row.id, STATUS[kind])
    if kind in FIRST_SEEN:
        await outbox.mark_first(session, row.id, FIRST_SEEN[kind], at)


async def _signal(session: AsyncSession, row: EmailOutbox, kind: str, at: datetime, event: dict[str, Any]) -> None:
    assert row.journey_id is not None
    step_key = notices.step_of(row)
    step = await journeys.get_step(session, row.journey_id, step_key) if step_key else None
    journey = await journeys.get_journey(session, row.journey_id)
    if journey is None:
        return
    data: dict[str, Any] = {"outbox_id": row.id, "email_kind": row.kind}
    if kind == "open":
        data["machine_open"] = bool(event.get("sg_machine_open", False))
    # One event per email and kind: the first open counts, the fifth adds nothing to the timeline.
    await journeys.append_event(
        session,
        f"{row.journey_id}/email/{row.id}/{SIGNAL[kind]}",
        row.journey_id,
        SIGNAL[kind],
        step.stage if step else journey.stage,
        step_key,
        at,
        data,
    )


async def _suppress(
    session: AsyncSession,
    email: str,
    row: EmailOutbox | None,
    suppression: tuple[str, str],
    at: datetime,
    provider: str,
    base_url: str,
) -> str | None:
    scope, reason = suppression
    if not await suppressions.record(session, email, scope, reason, source="sendgrid"):
        return None  # already suppressed at least this widely: the PM was told then
    journey_row = row if row is not None and row.journey_id else await outbox.latest_to(session, email)
    if journey_row is None or journey_row.journey_id is None or notices.is_pm_email(journey_row.kind):
        log.warning("suppressed an address with no journey to report to (reason %s)", reason)
        return None
    facts = await journey_facts(session, journey_row.journey_id)
    if facts is None:
        return None
    return await notices.contact_unreachable(
        session,
        facts,
        email=email,
        contact_name=journey_row.to_name,
        reason=reason,
        step_key=notices.step_of(journey_row),
        occurred_at=at,
        provider=provider,
        base_url=base_url,
    )
