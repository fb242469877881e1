"""Signed, expiring, single-purpose tokens (no personal data inside: the payload is readable).

Each purpose has its own salt, so a token minted for one purpose never verifies for another: a step
link is not an AE feedback link, an unsubscribe link or a confirmation cookie, even with the same keys.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Generic, TypeVar

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

STEP_PURPOSE = "step-link"
FEEDBACK_PURPOSE = "ae-feedback"
UNSUBSCRIBE_PURPOSE = "unsubscribe"
DONE_PURPOSE = "step-done"
INTRO_PURPOSE = "ae-intro-answer"
FEEDBACK_DONE_PURPOSE = "ae-feedback-done"
INTRO_DONE_PURPOSE = "ae-intro-done"
CSRF_PURPOSE = "csrf"
SIGN_IN_PURPOSE = "pm-sign-in"
DEAL_OVERLAP_PURPOSE = "ae-deal-overlap"
SELLER_PURPOSE = "ae-seller-page"

# Unsubscribing must keep working long after the reminder was sent (RFC 8058 asks for that).
UNSUBSCRIBE_MAX_AGE = timedelta(days=365)
# The confirmation cookie only bridges the redirect after a submission.
DONE_MAX_AGE = timedelta(minutes=15)
CSRF_MAX_AGE = timedelta(days=2)
# A PM's emailed sign-in link: short, and single use through its sign_in_links row.
SIGN_IN_MAX_AGE = timedelta(minutes=15)

C = TypeVar("C")


class LinkInvalid(Exception):
    """Tampered, foreign or garbage token. Deliberately says nothing about what exists."""


class LinkExpired(Exception, Generic[C]):
    """Correctly signed but too old; carries the claims so the page can offer a fresh link."""

    def __init__(self, claims: C | None):
        super().__init__("link expired")
        self.claims = claims


@dataclass(frozen=True)
class StepClaims:
    journey_id: str
    step_key: str


@dataclass(frozen=True)
class FeedbackClaims:
    deal_id: str
    ae_id: str


@dataclass(frozen=True)
class IntroClaims:
    """An AE's answer link: one intro request, one AE."""

    request_id: str
    ae_id: str


@dataclass(frozen=True)
class DealOverlapClaims:
    """An owner AE's look at the overlap behind a partner's deal registration: one deal, one AE."""

    deal_id: str
    ae_id: str


@dataclass(frozen=True)
class SellerClaims:
    """An AE's seller page: one partner's journey and play, for one AE on one buyer account (and the deal,
    if the link was made for one)."""

    journey_id: str
    play_key: str
    ae_id: str
    account_id: str
    deal_id: str | None = None


@dataclass(frozen=True)
class SignInClaims:
    """A PM's sign-in link: names the sign_in_links row, which holds who and where to go after."""

    link_id: str


@dataclass(frozen=True)
class UnsubscribeClaims:
    outbox_id: str


@dataclass(frozen=True)
class DoneClaims:
    """What the token-free confirmation page may show after a successful submission."""

    journey_id: str
    step_key: str
    next_step: str | None
    completed_at: str


class _Purpose(Generic[C]):
    """One salt, one claims shape, one lifetime."""

    def __init__(
        self,
        keys: list[str],
        salt: str,
        max_age: timedelta,
        encode: Callable[[C], dict[str, Any]],
        decode: Callable[[Any], C | None],
    ):
        # itsdangerous signs with the last key and verifies with all; settings list newest first.
        self._serializer = URLSafeTimedSerializer(
            list(reversed(keys)), salt=salt, signer_kwargs={"digest_method": hashlib.sha256}
        )
        self._max_age = int(max_age.total_seconds())
        self._encode, self._decode = encode, decode

    def sign(self, claims: C) -> str:
        return str(self._serializer.dumps(self._encode(claims)))

    def verify(self, token: str) -> C:
        try:
            data = self._serializer.loads(token, max_age=self._max_age)
        except SignatureExpired as exc:
            payload = self._serializer.load_payload(exc.payload) if exc.payload is not None else None
            raise LinkExpired(self._decode(payload)) from exc
        except BadSignature as exc:
            raise LinkInvalid() from exc
        claims = self._decode(data)
        if claims is None:
            raise LinkInvalid()
        return claims


def _strings(data: Any, *keys: str) -> list[str] | None:
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str) and data[k] for k in keys):
        return None
    return [data[k] for k in keys]


def _step(data: Any) -> StepClaims | None:
    values = _strings(data, "j", "s")
    return StepClaims(*values) if values else None


def _feedback(data: Any) -> FeedbackClaims | None:
    values = _strings(data, "d", "a")
    return FeedbackClaims(*values) if values else None


def _intro(data: Any) -> IntroClaims | None:
    values = _strings(data, "i", "a")
    return IntroClaims(*values) if values else None


def _deal_overlap(data: Any) -> DealOverlapClaims | None:
    values = _strings(data, "d", "a")
    return DealOverlapClaims(*values) if values else None


def _seller(data: Any) -> SellerClaims | None:
    values = _strings(data, "j", "p", "a", "v")
    if not values or not isinstance(data.get("d"), str | None):
        return None
    journey_id, play_key, ae_id, account_id = values
    return SellerClaims(journey_id, play_key, ae_id, account_id, data["d"] or None)


def _unsubscribe(data: Any) -> UnsubscribeClaims | None:
    values = _strings(data, "o")
    return UnsubscribeClaims(*values) if values else None


def _sign_in(data: Any) -> SignInClaims | None:
    values = _strings(data, "l")
    return SignInClaims(*values) if values else None


def _done(data: Any) -> DoneClaims | None:
    values = _strings(data, "j", "s", "t")
    if not values or not isinstance(data.get("n"), str | None):
        return None
    return DoneClaims(journey_id=values[0], step_key=values[1], next_step=data["n"], completed_at=values[2])


class LinkSigner:
    def __init__(self, keys: list[str], max_age: timedelta):
        self._step = _Purpose[StepClaims](
            keys, STEP_PURPOSE, max_age, lambda c: {"j": c.journey_id, "s": c.step_key}, _step
        )
        self._feedback = _Purpose[FeedbackClaims](
            keys, FEEDBACK_PURPOSE, max_age, lambda c: {"d": c.deal_id, "a": c.ae_id}, _feedback
        )
        self._intro = _Purpose[IntroClaims](
            keys, INTRO_PURPOSE, max_age, lambda c: {"i": c.request_id, "a": c.ae_id}, _intro
        )
        self._deal_overlap = _Purpose[DealOverlapClaims](
            keys, DEAL_OVERLAP_PURPOSE, max_age, lambda c: {"d": c.deal_id, "a": c.ae_id}, _deal_overlap
        )
        self._seller = _Purpose[SellerClaims](
            keys,
            SELLER_PURPOSE,
            max_age,
            lambda c: {"j": c.journey_id, "p": c.play_key, "a": c.ae_id, "v": c.account_id, "d": c.deal_id},
            _seller,
        )
        self._unsubscribe = _Purpose[UnsubscribeClaims](
            keys, UNSUBSCRIBE_PURPOSE, UNSUBSCRIBE_MAX_AGE, lambda c: {"o": c.outbox_id}, _unsubscribe
        )
        self._done = _Purpose[DoneClaims](
            keys,
            DONE_PURPOSE,
            DONE_MAX_AGE,
            lambda c: {"j": c.journey_id, "s": c.step_key, "n": c.next_step, "t": c.completed_at},
            _done,
        )
        self._feedback_done = _Purpose[FeedbackClaims](
            keys, FEEDBACK_DONE_PURPOSE, DONE_MAX_AGE, lambda c: {"d": c.deal_id, "a": c.ae_id}, _feedback
        )
        self._intro_done = _Purpose[IntroClaims](
            keys, INTRO_DONE_PURPOSE, DONE_MAX_AGE, lambda c: {"i": c.request_id, "a": c.ae_id}, _intro
        )
        self._csrf = _Purpose[str](keys, CSRF_PURPOSE, CSRF_MAX_AGE, lambda c: {"r": c}, _csrf)
        self._sign_in = _Purpose[SignInClaims](
            keys, SIGN_IN_PURPOSE, SIGN_IN_MAX_AGE, lambda c: {"l": c.link_id}, _sign_in
        )

    def sign_sign_in(self, claims: SignInClaims) -> str:
        return self._sign_in.sign(claims)

    def verify_sign_in(self, token: str) -> SignInClaims:
        return self._sign_in.verify(token)

    def sign_step(self, claims: StepClaims) -> str:
        return self._step.sign(claims)

    def verify_step(self, token: str) -> StepClaims:
        return self._step.verify(token)

    def sign_feedback(self, claims: FeedbackClaims) -> str:
        return self._feedback.sign(claims)

    def verify_feedback(self, token: str) -> FeedbackClaims:
        return self._feedback.verify(token)

    def sign_intro(self, claims: IntroClaims) -> str:
        return self._intro.sign(claims)

    def verify_intro(self, token: str) -> IntroClaims:
        return self._intro.verify(token)

    def sign_deal_overlap(self, claims: DealOverlapClaims) -> str:
        return self._deal_overlap.sign(claims)

    def verify_deal_overlap(self, token: str) -> DealOverlapClaims:
        return self._deal_overlap.verify(token)

    def sign_seller(self, claims: SellerClaims) -> str:
        return self._seller.sign(claims)

    def verify_seller(self, token: str) -> SellerClaims:
        return self._seller.verify(token)

    def sign_unsubscribe(self, claims: UnsubscribeClaims) -> str:
        return self._unsubscribe.sign(claims)

    def verify_unsubscribe(self, token: str) -> UnsubscribeClaims:
        return self._unsubscribe.verify(token)

    def sign_done(self, claims: DoneClaims) -> str:
        return self._done.sign(claims)

    def verify_done(self, token: str) -> DoneClaims:
        return self._done.verify(token)

    def sign_feedback_done(self, claims: FeedbackClaims) -> str:
        return self._feedback_done.sign(claims)

    def verify_feedback_done(self, token: str) -> FeedbackClaims:
        return self._feedback_done.verify(token)

    def sign_intro_done(self, claims: IntroClaims) -> str:
        return self._intro_done.sign(claims)

    def verify_intro_done(self, token: str) -> IntroClaims:
        return self._intro_done.verify(token)

    def new_csrf(self) -> str:
        """A signed random value for the double-submit cookie: an injected cookie we didn't mint is refused."""
        return self._csrf.sign(secrets.token_urlsafe(16))

    def valid_csrf(self, value: str) -> bool:
        try:
            self._csrf.verify(value)
        except (LinkInvalid, LinkExpired):
            return False
        return True


def _csrf(data: Any) -> str | None:
    values = _strings(data, "r")
    return values[0] if values else None
