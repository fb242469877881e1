"""One EmailSender interface; backends are chosen by settings in mail.factory.make_sender.

Every backend maps its failures onto the three errors below, and delivery.py turns them into outbox
states: permanent -> `failed`, transient -> back to `pending` for a retry, ambiguous -> `unknown`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, cast


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


class LookupUnanswered(Exception):
    """The provider could not say whether it has a message (unreachable, rate-limited, no access): ask later."""


class EmailSender(Protocol):
    name: str

    async def send(self, email: OutboundEmail) -> str:
        """Deliver the email and return the provider's message id."""
        ...


class SentLookup(Protocol):
    async def lookup(self, outbox_id: str) -> str | None:
        """The provider's message id of the message it accepted for this outbox row, None if it has none;
        LookupUnanswered when it could not be asked."""
        ...


def lookup_of(sender: EmailSender) -> SentLookup | None:
    """The backend's way to ask the provider what it accepted; None for one that cannot be asked (SMTP)."""
    backend: object = sender
    while not callable(getattr(backend, "lookup", None)) and hasattr(backend, "inner"):
        backend = backend.inner  # the wrappers (timing, List-Unsubscribe) expose what they wrap
    return cast(SentLookup, backend) if callable(getattr(backend, "lookup", None)) else None


class OutboxOnlySender:
    """Embedded default: the outbox row is the delivered email, readable at /dev/inbox."""

    name = "outbox"

    async def send(self, email: OutboundEmail) -> str:
        return f"outbox-{email.outbox_id}"


def one_line(value: str) -> str:
    """Header values must not carry CR/LF (header injection); the SMTP policy would raise, JSON would not."""
    return " ".join(value.split())
