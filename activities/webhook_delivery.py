"""Outbound webhook delivery: hand pending deliveries to delivery workflows in partner order, send one
(signed per Standard Webhooks, to an address the SSRF guard checked, no redirects, a short timeout), log
every attempt, and give one up (a subscription that keeps failing is disabled and its owner emailed).

Retrying is Temporal's: `send_webhook` raises a retryable error for 408, 429, 5xx and network failures and a
non-retryable one for any other answer that is not 2xx (a 410 included) or a refused target.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import httpx
from pydantic import BaseModel
from temporalio import activity
from temporalio.client import WorkflowExecutionStatus
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from activities.family import ActivityFamily
from db.models import Program
from db.repositories import webhook_deliveries as deliveries
from db.session import transaction
from domain.webhook_signing import headers as signed_headers
from domain.webhook_targets import IP, UnsafeTarget, resolve
from mail.queue import Email
from wiring import webhook_policy

EXCERPT = 500
RETRYABLE = {408, 429}
MAX_RETRY_AFTER = timedelta(hours=1)
DESCRIBE_AT_ONCE = 50


class DeliveryChain(BaseModel):
    """One subscription's deliveries for one partner, in the order they are sent."""

    id: str  # the partner's id ("-" for events of no partner): one delivery workflow per subscription and partner
    subscription_id: str
    delivery_ids: list[str]
    retry_for: timedelta = timedelta(hours=24)  # how long one delivery is retried before it is given up

    @property
    def workflow_id(self) -> str:
        return chain_workflow_id(self.subscription_id, self.id)


def chain_workflow_id(subscription_id: str, partner_id: str) -> str:
    """The same id for every run of a (subscription, partner) chain: the dispatcher can see whether one runs, and
    starts a fresh run under the id once the last is closed (the child's default reuse policy allows it)."""
    return f"webhook-delivery/{subscription_id}/{partner_id or '-'}"


class GiveUp(BaseModel):
    delivery_id: str
    why: str


class WebhookActivities(ActivityFamily):
    @activity.defn
    async def claim_webhook_deliveries(self, limit: int) -> list[DeliveryChain]:
        async with transaction(self._sessions) as session:
            waiting = await deliveries.waiting(session, limit, datetime.now(UTC))
        gate = asyncio.Semaphore(DESCRIBE_AT_ONCE)
        runs = await asyncio.gather(*(_running(chain_workflow_id(*g), gate) for g in waiting))
        running = [g for g, run in zip(waiting, runs, strict=True) if run]
        closed = [g for g, run in zip(waiting, runs, strict=True) if not run]
        async with transaction(self._sessions) as session:
            groups = await deliveries.claim(session, limit, reopen=closed, running=running)
        retry_for = timedelta(hours=self._settings.outbound_webhook_retry_hours)
        return [
            DeliveryChain(id=p or "-", subscription_id=s, delivery_ids=ids, retry_for=retry_for) for s, p, ids in groups
        ]

    @activity.defn
    async def send_webhook(self, delivery_id: str) -> int | None:
        """The status code of the accepted request; None when there was nothing to send (done before, or
        its subscription was disabled or deleted)."""
        async with transaction(self._sessions) as session:
            found = await deliveries.load(session, delivery_id)
            if found is None or found[0].status != "queued":
                return None
            delivery, sub, event = found
            if not sub.enabled:
                await deliveries.finish(session, delivery_id, "skipped")
                return None
            now = datetime.now(UTC)
            keys = [sub.secret] + (
                [sub.previous_secret] if sub.previous_secret and _later(sub.previous_expires_at, now) else []
            )
            url, body = sub.url, json.dumps(event.payload, separators=(",", ":"), ensure_ascii=False)
        at = activity.info().current_attempt_scheduled_time
        started = time.monotonic()
        code, excerpt, error, retry_after = None, "", "", None
        try:
            addresses = await resolve(url, webhook_policy(self._settings))
            response, excerpt = await _post(
                url, addresses[0], signed_headers(keys, event.id, now, body), body, self._timeout
            )
            code, retry_after = response.status_code, response.headers.get("retry-after")
        except UnsafeTarget as exc:
            error = f"refused target: {exc}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:EXCERPT]
        latency = int((time.monotonic() - started) * 1000)
        async with transaction(self._sessions) as session:
            await deliveries.record_attempt(
                session,
                delivery_id,
                dict(attempted_at=at, status_code=code, latency_ms=latency, response_excerpt=excerpt, error=error),
            )
            if code is not None and 200 <= code < 300:
                await deliveries.finish(session, delivery_id, "delivered", datetime.now(UTC))
                return code
        raise _failure(code, error, retry_after)

    @activity.defn
    async def give_up_webhook(self, give_up: GiveUp) -> bool:
        """The delivery failed for good; True when its subscription was disabled by this failure."""
        async with self._mail.post() as post:
            sub_id = await deliveries.finish(post.session, give_up.delivery_id, "failed")
            found = await deliveries.load(post.session, give_up.delivery_id)
            if sub_id is None or found is None:
                return False
            sub = found[1]
            if sub.consecutive_failures < self._settings.outbound_webhook_disable_after:
                return False
            reason = f"{sub.consecutive_failures} deliveries in a row failed; the last: {give_up.why}"
            if not await deliveries.disable(post.session, sub.id, reason):
                return False
            program = await post.session.get(Program, sub.program_id)
            to = sub.owner_email or (program.pm_email if program else "")
            if to:
                email = _disabled_email(sub.id, sub.url, to, reason, sub.consecutive_failures, program)
                await post.send(replace(email, dedupe_key=f"webhook-disabled/{sub.id}/{give_up.delivery_id}"))
            return True

    @property
    def _timeout(self) -> float:
        return self._settings.outbound_webhook_timeout_seconds

    def all(self) -> list:  # type: ignore[type-arg]
        return [self.claim_webhook_deliveries, self.send_webhook, self.give_up_webhook]


async def _running(workflow_id: str, gate: asyncio.Semaphore) -> bool:
    """Whether the chain's delivery workflow is running. Terminated, failed, timed out or never started (its
    dispatcher failed after the claim) all mean its queued deliveries wait for nobody."""
    try:
        async with gate:
            described = await activity.client().get_workflow_handle(workflow_id).describe()
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return False
        raise
    return described.status == WorkflowExecutionStatus.RUNNING


def _later(until: datetime | None, now: datetime) -> bool:
    return until is not None and (until if until.tzinfo else until.replace(tzinfo=UTC)) > now


async def _post(url: str, ip: IP, headers: dict[str, str], body: str, seconds: float) -> tuple[httpx.Response, str]:
    """POST to the checked address (not a second DNS lookup), with the URL's host as Host header and TLS name."""
    parts = urlsplit(url)
    host = f"[{ip}]" if ip.version == 6 else str(ip)
    target = urlunsplit(parts._replace(netloc=f"{host}:{parts.port}" if parts.port else host))
    extensions = {"sni_hostname": parts.hostname} if parts.scheme == "https" else {}
    async with httpx.AsyncClient(timeout=seconds, follow_redirects=False, trust_env=False) as client:
        request = client.build_request(
            "POST",
            target,
            content=body.encode(),
            headers={**headers, "host": parts.netloc, "user-agent": "cosell-webhooks/1"},
            extensions=extensions,
        )
        response = await client.send(request, stream=True)
        try:
            read = b""
            async for chunk in response.aiter_bytes():
                read += chunk
                if len(read) >= EXCERPT:
                    break
        finally:
            await response.aclose()
    return response, read[:EXCERPT].decode("utf-8", "replace")


def _failure(code: int | None, error: str, retry_after: str | None) -> ApplicationError:
    if error.startswith("refused target"):
        return ApplicationError(error, type="RefusedTarget", non_retryable=True)
    if code is None:
        return ApplicationError(error or "no answer", type="NoAnswer")
    if code in RETRYABLE or code >= 500:
        delay = None
        if retry_after and retry_after.isdigit():
            delay = min(timedelta(seconds=int(retry_after)), MAX_RETRY_AFTER)
        return ApplicationError(f"the receiver answered {code}", type="RetryableStatus", next_retry_delay=delay)
    return ApplicationError(f"the receiver answered {code}", type="RefusedStatus", non_retryable=True)


def _disabled_email(sub_id: str, url: str, to: str, reason: str, failures: int, program: Program | None) -> Email:
    name = program.name if program else "your program"
    return Email(
        kind="pm_alert",
        dedupe_key="",
        to_email=to,
        to_name="",
        subject=f"{name}: a webhook subscription was disabled",
        template="pm_webhook_disabled",
        context=dict(
            program_name=name,
            url=url,
            reason=reason,
            failures=failures,
            program_id=program.id if program else "",
            subscription_id=sub_id,
        ),
    )
