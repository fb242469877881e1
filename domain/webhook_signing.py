"""Standard Webhooks signatures (https://www.standardwebhooks.com): receivers verify with any of its libraries."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime

from standardwebhooks.webhooks import Webhook

PREFIX = "whsec_"


def new_secret() -> str:
    """24 random bytes, base64, with the `whsec_` prefix the libraries accept as is."""
    return PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def headers(secrets_: list[str], msg_id: str, at: datetime, body: str) -> dict[str, str]:
    """The three headers; one `v1,` signature per secret (during a rotation both the new and the old verify)."""
    signatures = " ".join(Webhook(s).sign(msg_id, at, body) for s in secrets_)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signatures,
        "content-type": "application/json",
    }
