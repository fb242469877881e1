from __future__ import annotations

import pytest

from domain.deals import (
    MOVES,
    IllegalMove,
    Stage,
    account_key,
    check_move,
    current_attribution,
    path,
)


class TestStages:
    @pytest.mark.parametrize(
        ("current", "wanted"),
        [
            ("registered", "accepted"),
            ("registered", "rejected"),
            ("accepted", "open"),
            ("accepted", "closed_won"),
            ("accepted", "rejected"),
            ("open", "closed_won"),
            ("open", "closed_lost"),
            ("open", "open"),
        ],
    )
    def test_allowed_moves(self, current: str, wanted: str) -> None:
        check_move(current, wanted)

    @pytest.mark.parametrize(
        ("current", "wanted"),
        [
            ("registered", "open"),
            ("registered", "closed_won"),
            ("open", "accepted"),
            ("open", "rejected"),
            ("closed_won", "open"),
            ("closed_lost", "closed_won"),
            ("rejected", "accepted"),
        ],
    )
    def test_illegal_moves_name_from_and_to(self, current: str, wanted: str) -> None:
        with pytest.raises(IllegalMove) as caught:
            check_move(current, wanted)
        message = str(caught.value)
        assert f"from {current} to {wanted}" in message
        assert caught.value.allowed == sorted(MOVES[Stage(current)])

    def test_final_stages_say_so(self) -> None:
        with pytest.raises(IllegalMove, match=r"none \(the deal is final\)"):
            check_move("closed_won", "closed_lost")

    def test_a_crm_report_implies_acceptance(self) -> None:
        assert path("registered", "open") == [Stage.accepted, Stage.open]
        assert path("registered", "closed_won") == [Stage.accepted, Stage.closed_won]
        assert path("accepted", "closed_lost") == [Stage.closed_lost]
        assert path("open", "open") == []
        with pytest.raises(IllegalMove):
            path("closed_won", "open")
        with pytest.raises(IllegalMove):
            path("rejected", "open")


class TestAccountKey:
    def test_domain_wins_and_is_normalized(self) -> None:
        assert account_key("Contoso Ltd", "https://www.Contoso.com/about") == "domain:contoso.com"
        assert account_key("Contoso, Inc.", "contoso.com") == account_key("Contoso Limited", "WWW.CONTOSO.COM")

    def test_name_when_no_domain(self) -> None:
        assert account_key("Fabrikam, Inc.") == account_key("FABRIKAM INC")
        assert account_key("Fabrikam, Inc.").startswith("name:")
        assert account_key("Fabrikam", "not a domain") == account_key("Fabrikam")


class TestAttributionPrecedence:
    def test_pm_over_ae_over_crm_over_partner(self) -> None:
        said = [("partner", "sourced"), ("crm", "influenced"), ("ae", "accelerated")]
        assert current_attribution(said) == ("ae", "accelerated")
        assert current_attribution([*said, ("pm", "none")]) == ("pm", "none")
        assert current_attribution([("partner", "sourced"), ("crm", "influenced")]) == ("crm", "influenced")
        assert current_attribution([("ae", "none"), ("partner", "sourced")]) == ("ae", "none")

    def test_latest_of_the_same_speaker_counts(self) -> None:
        assert current_attribution([("ae", "sourced"), ("ae", "influenced")]) == ("ae", "influenced")
        assert current_attribution([]) is None


class TestRegistrationStepContract:
    """A deal_registration step must ask what a registration needs (playbooks.model)."""

    STEP = {
        "key": "register",
        "kind": "deal_registration",
        "title": "Register a deal",
        "due_days": 5,
        "email": {"subject": "Register", "intro": "Register your deal"},
    }
    FIELDS = [
        {"key": "account_name", "label": "Account", "type": "text"},
        {"key": "amount", "label": "Amount", "type": "number"},
        {"key": "expected_close", "label": "Close", "type": "date"},
        {"key": "partner_role", "label": "Role", "type": "select", "options": ["sourced", "influenced"]},
    ]

    def test_complete_step_is_valid(self) -> None:
        from playbooks.model import Step

        Step.model_validate({**self.STEP, "fields": self.FIELDS})

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            (lambda f: f[1:], "needs a field 'account_name'"),
            (lambda f: [f[0], {**f[1], "type": "text"}, *f[2:]], "'amount' of a deal_registration step must be number"),
            (lambda f: [*f[:3], {**f[3], "options": ["sourced", "resold"]}], "partner_role options must be among"),
            (
                lambda f: [*f[:2], {**f[2], "required": False}, f[3]],
                "'expected_close' of a deal_registration step must be required",
            ),
        ],
    )
    def test_missing_or_wrong_fields_are_named(self, change: object, message: str) -> None:
        from pydantic import ValidationError

        from playbooks.model import Step

        with pytest.raises(ValidationError, match=message):
            Step.model_validate({**self.STEP, "fields": change(self.FIELDS)})  # type: ignore[operator]
