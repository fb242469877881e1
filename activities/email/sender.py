"""One EmailSender interface; backends are chosen by settings in worker.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class OutboundEmail:
    outbox_id: str
    to_email: str
    to_name: str
    subject: str
    html: str
    text: str
    reply_to: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


class PermanentSendError(Exception):
    """The provider refused the message (bad address, bad payload): retrying cannot help."""


class TransientSendError(Exception):
    """Nothing was accepted (connection refused, 429, 5xx): safe to retry."""


class AmbiguousSendError(Exception):
    """The provider may have accepted the message (read timeout): never resend blindly."""


class EmailSender(Protocol):
    name: str

    async def send(self, email: OutboundEmail) -> str:
        """Deliver the email and return the provider's message id."""
        ...


class OutboxOnlySender:
    """Embedded default: the outbox row is the delivered email, readable at /dev/inbox."""

    name = "outbox"

    async def send(self, email: OutboundEmail) -> str:
        return f"outbox-{email.outbox_id}"
