from __future__ import annotations

import time
from datetime import timedelta

import pytest
from itsdangerous import URLSafeTimedSerializer

from domain.links import (
    DoneClaims,
    FeedbackClaims,
    IntroClaims,
    LinkExpired,
    LinkInvalid,
    LinkSigner,
    SignInClaims,
    StepClaims,
    UnsubscribeClaims,
)

OLD, NEW = "o" * 40, "n" * 40
CLAIMS = StepClaims(journey_id="journey/c1/p1", step_key="icp")


class TestStepLinks:
    def test_round_trip_and_no_personal_data(self) -> None:
        signer = LinkSigner([NEW], timedelta(days=1))
        token = signer.sign_step(CLAIMS)
        assert signer.verify_step(token) == CLAIMS
        assert "@" not in token

    def test_tampered_token_is_invalid(self) -> None:
        signer = LinkSigner([NEW], timedelta(days=1))
        token = signer.sign_step(CLAIMS)
        flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
        for bad in (flipped, token + "x", "garbage", ""):
            with pytest.raises(LinkInvalid):
                signer.verify_step(bad)

    def test_key_rotation_keeps_old_links_working(self) -> None:
        old_token = LinkSigner([OLD], timedelta(days=1)).sign_step(CLAIMS)
        rotated = LinkSigner([NEW, OLD], timedelta(days=1))
        assert rotated.verify_step(old_token) == CLAIMS
        new_token = rotated.sign_step(CLAIMS)
        with pytest.raises(LinkInvalid):
            LinkSigner([OLD], timedelta(days=1)).verify_step(new_token)

    def test_expired_link_says_which_step(self) -> None:
        signer = LinkSigner([NEW], timedelta(seconds=1))
        token = signer.sign_step(CLAIMS)
        time.sleep(2.1)
        with pytest.raises(LinkExpired) as err:
            signer.verify_step(token)
        assert err.value.claims == CLAIMS


class TestPurposes:
    def test_feedback_links_round_trip_and_rotate(self) -> None:
        claims = FeedbackClaims(deal_id="deal-7", ae_id="ae-42")
        old_token = LinkSigner([OLD], timedelta(days=1)).sign_feedback(claims)
        assert LinkSigner([NEW, OLD], timedelta(days=1)).verify_feedback(old_token) == claims

    def test_a_token_never_verifies_for_another_purpose(self) -> None:
        signer = LinkSigner([NEW], timedelta(days=1))
        step = signer.sign_step(CLAIMS)
        feedback = signer.sign_feedback(FeedbackClaims(deal_id="journey/c1/p1", ae_id="icp"))
        unsubscribe = signer.sign_unsubscribe(UnsubscribeClaims(outbox_id="o1"))
        done = signer.sign_done(DoneClaims("journey/c1/p1", "icp", None, "2026-01-01T00:00:00+00:00"))
        intro = signer.sign_intro(IntroClaims(request_id="r1", ae_id="icp"))
        feedback_done = signer.sign_feedback_done(FeedbackClaims(deal_id="journey/c1/p1", ae_id="icp"))
        intro_done = signer.sign_intro_done(IntroClaims(request_id="journey/c1/p1", ae_id="icp"))
        for verify, token in (
            (signer.verify_feedback, feedback_done),
            (signer.verify_feedback_done, feedback),
            (signer.verify_feedback_done, intro_done),
            (signer.verify_intro_done, intro),
            (signer.verify_intro, intro_done),
            (signer.verify_done, feedback_done),
            (signer.verify_feedback, step),
            (signer.verify_step, feedback),
            (signer.verify_step, unsubscribe),
            (signer.verify_step, done),
            (signer.verify_unsubscribe, step),
            (signer.verify_done, step),
        ):
            with pytest.raises(LinkInvalid):
                verify(token)
        assert not signer.valid_csrf(step) and signer.valid_csrf(signer.new_csrf())

    def test_claims_carry_ids_only(self) -> None:
        signer = LinkSigner([NEW], timedelta(days=1))
        payload = signer.sign_done(DoneClaims("journey/c1/p1", "icp", "rules", "2026-01-01T00:00:00+00:00"))
        # Anyone can read a token's payload (it is signed, not encrypted): ids only, nothing personal.
        decoded = URLSafeTimedSerializer("any key").load_payload(payload.rsplit(".", 2)[0].encode())
        assert decoded == {"j": "journey/c1/p1", "s": "icp", "n": "rules", "t": "2026-01-01T00:00:00+00:00"}

    def test_csrf_values_from_another_key_are_refused(self) -> None:
        assert not LinkSigner([NEW], timedelta(days=1)).valid_csrf(LinkSigner([OLD], timedelta(days=1)).new_csrf())


class TestSignInLinks:
    def test_a_sign_in_link_is_its_own_purpose_and_lasts_fifteen_minutes(self, monkeypatch: pytest.MonkeyPatch) -> None:
        signer = LinkSigner([NEW], timedelta(days=30))
        claims = SignInClaims(link_id="l1")
        token = signer.sign_sign_in(claims)
        assert signer.verify_sign_in(token) == claims
        with pytest.raises(LinkInvalid):
            signer.verify_sign_in(signer.sign_step(CLAIMS))
        with pytest.raises(LinkInvalid):
            signer.verify_step(token)
        real = time.time
        monkeypatch.setattr(time, "time", lambda: real() - 5 * 60)  # signed five minutes ago
        recent = signer.sign_sign_in(claims)
        monkeypatch.setattr(time, "time", lambda: real() - 30 * 60)  # signed half an hour ago
        old = signer.sign_sign_in(claims)
        monkeypatch.setattr(time, "time", real)
        assert signer.verify_sign_in(recent) == claims
        with pytest.raises(LinkExpired):
            signer.verify_sign_in(old)
