"""The outbound webhook events in the OpenAPI document (its `webhooks` section): one POST per event type,
each with the Standard Webhooks headers and that type's own envelope schema (domain.webhook_events.EVENTS)."""

# No `from __future__ import annotations`: FastAPI reads each receiver's body type from its annotation, which
# must be the event type's model itself, not a name to look up later.

from typing import Annotated, Any

from fastapi import FastAPI, Header

from domain.webhook_events import EVENTS, Envelope, EventType

ANSWER = (
    "Any 2xx: delivered. 408, 429 (Retry-After is honoured, up to an hour), 5xx, a timeout or no answer: retried "
    "with backoff for 24 hours. Any other answer (a 410 included) or a redirect: not retried."
)


def _receiver(model: type[Envelope]) -> Any:
    async def receive(
        body: model,  # type: ignore[valid-type]
        webhook_id: Annotated[str, Header(description="the event id: the same in every retry and replay")],
        webhook_timestamp: Annotated[str, Header(description="seconds since the epoch, when it was signed")],
        webhook_signature: Annotated[
            str, Header(description="`v1,<base64 HMAC-SHA256>` per secret, space-separated (two in a rotation)")
        ],
    ) -> None:
        """Verify with any Standard Webhooks library and the subscription's secret."""

    return receive


def document(app: FastAPI) -> None:
    for type_ in EventType:
        model = EVENTS[type_]
        version = model.model_fields["version"].default
        app.webhooks.post(
            type_.value,
            operation_id=f"webhook_{type_.name}",
            summary=f"{type_.value} (version {version})",
            responses={200: {"description": ANSWER}},
            tags=["webhook events"],
        )(_receiver(model))
