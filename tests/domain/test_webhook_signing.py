"""Outbound webhook signatures verify with the `standardwebhooks` library receivers use."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from domain.webhook_signing import PREFIX, headers, new_secret

BODY = '{"id":"evt-1","type":"journey.stage_entered","version":1}'


def test_a_signed_request_verifies_with_the_standardwebhooks_library() -> None:
    secret = new_secret()
    assert secret.startswith(PREFIX) and secret != new_secret()
    sent = headers([secret], "evt-1", datetime.now(UTC), BODY)
    assert sent["webhook-id"] == "evt-1" and sent["webhook-signature"].startswith("v1,")
    assert Webhook(secret).verify(BODY, sent) == {"id": "evt-1", "type": "journey.stage_entered", "version": 1}
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY.replace("evt-1", "evt-2"), sent)  # a changed body
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(BODY, sent)  # another secret


def test_during_a_rotation_both_secrets_verify() -> None:
    old, new = new_secret(), new_secret()
    sent = headers([new, old], "evt-1", datetime.now(UTC), BODY)
    assert len(sent["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(BODY, sent)
    Webhook(new).verify(BODY, sent)


def test_the_signature_matches_the_specification_example() -> None:
    # The Standard Webhooks specification's example (spec/standard-webhooks.md, "Signature scheme").
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    at = datetime.fromtimestamp(1614265330, UTC)
    body = '{"test": 2432232314}'
    sent = headers([secret], "msg_p5jXN8AQM9LWM0D4loKWxJek", at, body)
    assert sent["webhook-signature"] == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
