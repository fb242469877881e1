"""The trust score: every point explained, field advocacy weighing most."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.trust import Feedback, IntroAnswer, feedback_errors, score

AT = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def form(ae: str = "ae-1", deal: str = "deal-1", **answers: object) -> Feedback:
    values: dict = {"contribution": "sourced", "role_clarity": 4, "responsiveness": 4, "invite_again": True}
    values.update(answers)
    return Feedback(
        deal_id=deal, ae_id=ae, ae_name=f"AE {ae}", submitted_at=AT, account_name="Contoso Health", **values
    )


def explained(result) -> float:  # type: ignore[no-untyped-def]
    return sum(float(s["points"]) for s in result.signals)


class TestScore:
    def test_no_feedback_means_no_score_yet(self) -> None:
        result = score([], [IntroAnswer("i-1", "ae-1", "accepted")])
        assert result.score is None and result.feedback_count == 0
        assert [s["source"] for s in result.signals] == ["intro_requests"]

    def test_one_glowing_form_is_explained_point_by_point(self) -> None:
        result = score([form(role_clarity=5, responsiveness=5)])
        baseline, feedback = result.signals
        assert baseline == {"source": "baseline", "weight": 1, "points": 50, "detail": "neutral starting point"}
        assert feedback["parts"] == {"invite_again": 20, "contribution": 15, "role_clarity": 6, "responsiveness": 6}
        assert (feedback["deal_id"], feedback["ae"], feedback["weight"], feedback["points"]) == (
            "deal-1",
            "ae-1",
            1.0,
            47,
        )
        assert "AE ae-1 on Contoso Health: would invite again, sourced" in feedback["detail"]
        assert result.score == 97 == explained(result)

    def test_would_not_invite_again_outweighs_a_sourced_deal(self) -> None:
        advocate = score([form(contribution="influenced", invite_again=True)]).score
        sourced_but_not_again = score([form(contribution="sourced", invite_again=False)]).score
        assert advocate is not None and sourced_but_not_again is not None
        assert advocate > sourced_but_not_again

    def test_contribution_order_is_sourced_accelerated_influenced_none(self) -> None:
        values = [score([form(contribution=c)]).score for c in ("sourced", "accelerated", "influenced", "none")]
        assert values == sorted(values, reverse=True) and len(set(values)) == 4

    def test_forms_are_averaged_and_repeat_invitations_add_a_bonus(self) -> None:
        same_ae = score([form("ae-1", "d-1"), form("ae-1", "d-2")])
        two_aes = score([form("ae-1", "d-1"), form("ae-2", "d-2")])
        assert two_aes.score is not None and same_ae.score is not None
        assert two_aes.score - same_ae.score == 5 and two_aes.advocates == 2
        repeat = next(s for s in two_aes.signals if s["source"] == "repeat_invitations")
        assert repeat["aes"] == ["ae-1", "ae-2"] and repeat["points"] == 5
        assert all(s["weight"] == 0.5 for s in two_aes.signals if s["source"] == "ae_feedback")

    def test_intro_answers_move_the_score_gently_and_are_capped(self) -> None:
        base = score([form(invite_again=False, contribution="none", role_clarity=2, responsiveness=2)])
        many = [IntroAnswer(f"i-{n}", "ae-2", "accepted") for n in range(10)]
        declined = [IntroAnswer(f"x-{n}", "ae-3", "declined") for n in range(10)]
        not_now = [IntroAnswer("n-1", "ae-4", "not_now")]
        assert base.score is not None
        assert (
            score([form(invite_again=False, contribution="none", role_clarity=2, responsiveness=2)], many).score
            == base.score + 6
        )
        lowered = score([form(invite_again=False, contribution="none", role_clarity=2, responsiveness=2)], declined)
        assert lowered.score == base.score - 3
        same = score([form(invite_again=False, contribution="none", role_clarity=2, responsiveness=2)], not_now)
        assert same.score == base.score

    def test_score_is_clamped_and_the_clamp_is_explained(self) -> None:
        forms = [form(f"ae-{n}", f"d-{n}", role_clarity=5, responsiveness=5) for n in range(4)]
        intros = [IntroAnswer(f"i-{n}", "ae-9", "accepted") for n in range(3)]
        result = score(forms, intros)
        assert result.score == 100 and result.signals[-1]["source"] == "clamp"
        assert explained(result) == 100

    def test_the_explanation_adds_up_to_the_score(self) -> None:
        forms = [
            form("ae-1", "d-1", role_clarity=2),
            form("ae-2", "d-2", contribution="influenced"),
            form("ae-3", "d-3", invite_again=False),
        ]
        result = score(forms, [IntroAnswer("i-1", "ae-1", "declined")])
        assert result.score is not None and abs(explained(result) - result.score) < 0.5


class TestFeedbackErrors:
    def test_a_complete_form_is_valid(self) -> None:
        assert feedback_errors("accelerated", 3, 5, False, "") == {}

    def test_each_wrong_answer_is_named(self) -> None:
        errors = feedback_errors("partnered", 0, "5", None, "x" * 2001)
        assert errors == {
            "contribution": "choose how the partner contributed",
            "role_clarity": "choose a rating from 1 to 5",
            "responsiveness": "choose a rating from 1 to 5",
            "invite_again": "answer yes or no",
            "comment": "keep it under 2000 characters (this is 2001)",
        }

    def test_booleans_are_not_ratings(self) -> None:
        assert "role_clarity" in feedback_errors("none", True, 3, True, "")
