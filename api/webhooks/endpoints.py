"""POST /webhooks/sendgrid: the signed SendGrid Event Webhook. The signature is the authentication."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.deps import AfterCommitDep, MailerDep, SessionDep, SettingsDep
from api.errors import documented
from api.webhooks import service
from api.webhooks.signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookVerifier
from observability.metrics import count_webhook_events

router = APIRouter(prefix="/webhooks", tags=["webhooks"])
MAX_BODY = 5 * 1024 * 1024  # SendGrid batches events; a few MB is generous


# The handler reads the raw bytes (the signature covers them), so the body is declared here, not parsed.
_EVENTS = {
    "required": True,
    "content": {"application/json": {"schema": {"type": "array", "items": {"type": "object"}}}},
    "description": "SendGrid's batch of events, signed in the X-Twilio-Email-Event-Webhook-Signature and "
    "-Timestamp headers",
}


class WebhookReceipt(BaseModel):
    received: int
    new: int
    ignored: int


def _refuse(status: int, error: str) -> JSONResponse:
    return JSONResponse({"error": error, "detail": None}, status_code=status)


@router.post(
    "/sendgrid",
    summary="SendGrid Event Webhook (signed)",
    responses={200: {"model": WebhookReceipt}, **documented(400, 403, 413)},
    openapi_extra={"requestBody": _EVENTS},
)
async def sendgrid_events(
    request: Request, session: SessionDep, queue: AfterCommitDep, mailer: MailerDep, settings: SettingsDep
) -> JSONResponse:
    """Verify the ECDSA signature over the raw body and a fresh timestamp, store each event once,
    then apply it. Answers 2xx only once the events are committed, so SendGrid retries otherwise."""
    verifier: WebhookVerifier | None = request.app.state.webhook_verifier
    if verifier is None:
        return _refuse(403, "the event webhook is not configured (COSELL_SENDGRID_WEBHOOK_PUBLIC_KEY)")
    if int(request.headers.get("content-length") or 0) > MAX_BODY:
        return _refuse(413, "payload too large")
    raw = await request.body()  # the exact bytes: parsing and re-serialising would break the signature
    if len(raw) > MAX_BODY:
        return _refuse(413, "payload too large")
    if not verifier.verify(raw, request.headers.get(SIGNATURE_HEADER), request.headers.get(TIMESTAMP_HEADER)):
        return _refuse(403, "invalid or stale signature")
    try:
        events = json.loads(raw)
    except ValueError:
        return _refuse(400, "body is not JSON")
    if not isinstance(events, list):
        return _refuse(400, "expected a JSON array of events")
    result = await service.apply_batch(session, events, mailer.name, settings.public_base_url)
    count_webhook_events(result.received, result.new, result.ignored)
    queue.deliver(result.alerts or [])
    return JSONResponse({"received": result.received, "new": result.new, "ignored": result.ignored})
