"""WebhookVerifier against a signature SendGrid itself produced (the vector published with its SDK's tests)."""

from __future__ import annotations

import json

import pytest

from api.webhooks.signature import WebhookVerifier

# A real SendGrid-signed request: public key, signature and timestamp as SendGrid sent them.
PUBLIC_KEY = (
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpV"
    "KS3GRqe62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g=="
)
SIGNATURE = "MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15TluLtEZtM="
TIMESTAMP = "1600112502"
EVENTS = [
    {
        "email": "hello@world.com",
        "event": "dropped",
        "reason": "Bounced Address",
        "sg_event_id": "ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA",
        "sg_message_id": "LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0",
        "smtp-id": "<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>",
        "timestamp": 1600112492,
    }
]
RAW = (json.dumps(EVENTS, sort_keys=True, separators=(",", ":")) + "\r\n").encode()
SENT_AT = float(TIMESTAMP) + 5


class TestWebhookVerifier:
    def test_sendgrids_own_signature_verifies_on_the_exact_bytes(self) -> None:
        assert WebhookVerifier(PUBLIC_KEY, 300).verify(RAW, SIGNATURE, TIMESTAMP, now=SENT_AT)

    @pytest.mark.parametrize(
        ("raw", "signature", "timestamp", "now"),
        [
            (RAW.rstrip(), SIGNATURE, TIMESTAMP, SENT_AT),  # CRLF stripped by a framework
            (json.dumps(EVENTS).encode() + b"\r\n", SIGNATURE, TIMESTAMP, SENT_AT),  # re-serialised
            (RAW, SIGNATURE, TIMESTAMP, SENT_AT + 3600),  # replayed an hour later
            (RAW, SIGNATURE, "1600112503", SENT_AT),  # another timestamp
            (RAW, "%%%", TIMESTAMP, SENT_AT),  # not base64: the SDK helper raises, we answer no
            (b"\xff\xfe", SIGNATURE, TIMESTAMP, SENT_AT),  # not UTF-8
        ],
    )
    def test_anything_else_is_refused(self, raw: bytes, signature: str, timestamp: str, now: float) -> None:
        assert not WebhookVerifier(PUBLIC_KEY, 300).verify(raw, signature, timestamp, now=now)

    def test_a_malformed_public_key_fails_at_start_up(self) -> None:
        with pytest.raises(ValueError):
            WebhookVerifier("bm90IGEga2V5", 300)
