"""Signed, expiring, single-purpose link tokens (no personal data inside: the payload is readable)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

STEP_PURPOSE = "step-link"


class LinkInvalid(Exception):
    """Tampered, foreign or garbage token. Deliberately says nothing about what exists."""


class LinkExpired(Exception):
    def __init__(self, claims: StepClaims | None):
        super().__init__("link expired")
        self.claims = claims


@dataclass(frozen=True)
class StepClaims:
    journey_id: str
    step_key: str


class LinkSigner:
    def __init__(self, keys: list[str], max_age: timedelta):
        # itsdangerous signs with the last key and verifies with all; settings list newest first.
        self._serializer = URLSafeTimedSerializer(
            list(reversed(keys)), salt=STEP_PURPOSE, signer_kwargs={"digest_method": hashlib.sha256}
        )
        self._max_age = int(max_age.total_seconds())

    def sign_step(self, claims: StepClaims) -> str:
        return self._serializer.dumps({"j": claims.journey_id, "s": claims.step_key})

    def verify_step(self, token: str) -> StepClaims:
        try:
            data = self._serializer.loads(token, max_age=self._max_age)
        except SignatureExpired as exc:
            payload = self._serializer.load_payload(exc.payload) if exc.payload is not None else None
            raise LinkExpired(_claims(payload)) from exc
        except BadSignature as exc:
            raise LinkInvalid() from exc
        claims = _claims(data)
        if claims is None:
            raise LinkInvalid()
        return claims


def _claims(data: object) -> StepClaims | None:
    if isinstance(data, dict) and isinstance(data.get("j"), str) and isinstance(data.get("s"), str):
        return StepClaims(journey_id=data["j"], step_key=data["s"])
    return None
