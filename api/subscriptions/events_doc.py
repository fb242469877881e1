"""The outbound webhook events in the OpenAPI document (its `webhooks` section): one POST per event type,
each with the Standard Webhooks headers and the `WebhookEnvelope` body its subscribers receive."""

from __future__ import annotations

from typing import Annotated

from fastapi import FastAPI, Header

from domain.webhook_events import EventType, WebhookEnvelope

ANSWER = (
    "Any 2xx: delivered. 408, 429 (Retry-After is honoured, up to an hour), 5xx, a timeout or no answer: retried "
    "with backoff for 24 hours. Any other answer (a 410 included) or a redirect: not retried."
)


def document(app: FastAPI) -> None:
    for type_ in EventType:

        async def receive(
            body: WebhookEnvelope,
            webhook_id: Annotated[str, Header(description="the event id: the same in every retry and replay")],
            webhook_timestamp: Annotated[str, Header(description="seconds since the epoch, when it was signed")],
            webhook_signature: Annotated[
                str, Header(description="`v1,<base64 HMAC-SHA256>` per secret, space-separated (two in a rotation)")
            ],
        ) -> None:
            """Verify with any Standard Webhooks library and the subscription's secret."""

        app.webhooks.post(
            type_.value,
            operation_id=f"webhook_{type_.name}",
            summary=f"{type_.value} (version 1)",
            responses={200: {"description": ANSWER}},
            tags=["webhook events"],
        )(receive)
