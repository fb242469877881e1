"""SendGrid Event Webhook signatures: ECDSA P-256 over `timestamp + raw body`, plus our own freshness window.

Verify the bytes exactly as received: re-serialised JSON, or a body with its trailing CRLF stripped,
no longer verifies (measured in shared/notes/email-and-links.md, section 3.2).
"""

from __future__ import annotations

import time

from sendgrid.helpers.eventwebhook import EventWebhook
from sendgrid.helpers.eventwebhook.eventwebhook_header import EventWebhookHeader

SIGNATURE_HEADER = EventWebhookHeader.SIGNATURE
TIMESTAMP_HEADER = EventWebhookHeader.TIMESTAMP


class WebhookVerifier:
    def __init__(self, public_key_b64: str, max_age_seconds: int):
        # Fails at start-up on a malformed key rather than refusing every event later.
        self._webhook = EventWebhook(public_key_b64.strip())
        self._max_age = max_age_seconds

    def verify(self, raw_body: bytes, signature: str | None, timestamp: str | None, now: float | None = None) -> bool:
        if not signature or not timestamp or not timestamp.isdigit():
            return False
        # SendGrid documents no window; without one a captured request could be replayed forever.
        if abs((now if now is not None else time.time()) - int(timestamp)) > self._max_age:
            return False
        try:
            payload = raw_body.decode("utf-8")
            return bool(self._webhook.verify_signature(payload, signature, timestamp))
        except Exception:  # noqa: BLE001 - bad base64 raises binascii.Error, bad DER ValueError: all mean "no"
            return False
