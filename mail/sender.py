"""One EmailSender interface; backends are chosen by settings in mail.factory.make_sender.

Every backend maps its failures onto the three errors below, and delivery.py turns them into outbox
states: permanent -> `failed`, transient -> back to `pending` for a retry, ambiguous -> `unknown`.
"""

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
    kind: str = ""  # the outbox kind (step_invite, step_reminder, fresh_link, pm_alert): decides extra headers
    from_name: str = ""  # the program's name; empty means the sender's configured default


class PermanentSendError(Exception):
    """The provider refused the message (bad address, bad payload, bad credentials): retrying cannot help."""


class TransientSendError(Exception):
    """Nothing was accepted (connection refused, 429, 5xx): safe to retry, after `retry_after` seconds if given."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class AmbiguousSendError(Exception):
    """The provider may have accepted the message (read timeout, dropped connection): never resend blindly."""


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


def one_line(value: str) -> str:
    """Header values must not carry CR/LF (header injection); the SMTP policy would raise, JSON would not."""
    return " ".join(value.split())
