from __future__ import annotations

import time
from datetime import timedelta

import pytest

from domain.links import LinkExpired, LinkInvalid, LinkSigner, StepClaims

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
