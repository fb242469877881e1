"""Six realistic partners, each judged the way a partner manager would judge them, with the facts named."""

from __future__ import annotations

from datetime import datetime

import pytest

from domain.intel.assess import Assessment, assess
from domain.intel.explain import Score
from domain.intel.facts import PartnerFacts, Review
from domain.trust import Feedback
from tests.intel_data import DAY, OVERLAP, START, THIN, Pace, deal, intro, partner

APPROVED = {"use-case-writeup": Review(state="approved", at=START + 40 * DAY, by="pm@vendor.example")}
ACTIVE = START + 72 * DAY


def reasons(score: Score) -> str:
    return "\n".join(f"{i.points:+.1f} {i.reason} [{i.source}]" for i in score.items)


def prompt_thorough() -> tuple[PartnerFacts, datetime]:
    facts = partner(
        "prompt-thorough",
        Pace(),
        ACTIVE,
        intros=(intro(1, "accepted", START + 25 * DAY, START + 27 * DAY),),
        deals=(deal(1, "accepted", START + 30 * DAY, START + 70 * DAY),),
        reviews=APPROVED,
    )
    return facts, ACTIVE


def prompt_thin() -> tuple[PartnerFacts, datetime]:
    return partner("prompt-thin", Pace(), ACTIVE, answers=THIN), ACTIVE


def late_excellent() -> tuple[PartnerFacts, datetime]:
    return partner("late-excellent", Pace(seen=4, done=12, reminders=2), ACTIVE), ACTIVE


def silent_after_week_one() -> tuple[PartnerFacts, datetime]:
    as_of = START + 60 * DAY
    return partner("silent", Pace(until_day=3), as_of, accounts_uploaded=0, overlapping=()), as_of


def strong_no_ae() -> tuple[PartnerFacts, datetime]:
    intros = (
        intro(1, "escalated", START + 24 * DAY),
        intro(2, "sent", START + 24 * DAY, account=OVERLAP[1]),
    )
    return partner("no-ae", Pace(), ACTIVE, intros=intros), ACTIVE


def won_with_glowing_feedback() -> tuple[PartnerFacts, datetime]:
    as_of = START + 80 * DAY
    glowing = Feedback(
        deal_id="deal-1",
        ae_id="ae-dana",
        ae_name="Dana Reyes",
        contribution="sourced",
        role_clarity=5,
        responsiveness=5,
        invite_again=True,
        submitted_at=START + 77 * DAY,
        account_name=OVERLAP[0],
    )
    facts = partner(
        "won-glowing",
        Pace(),
        as_of,
        tier=2,
        intros=(intro(1, "accepted", START + 25 * DAY, START + 27 * DAY),),
        deals=(deal(1, "closed_won", START + 30 * DAY, START + 72 * DAY, closed_at=START + 72 * DAY),),
        feedback=(glowing,),
        reviews=APPROVED,
    )
    return facts, as_of


ALL = [prompt_thorough, prompt_thin, late_excellent, silent_after_week_one, strong_no_ae, won_with_glowing_feedback]


@pytest.mark.parametrize("make", ALL, ids=lambda f: f.__name__)
def test_every_score_is_the_sum_of_its_explanation_and_recomputes_the_same(make) -> None:  # type: ignore[no-untyped-def]
    facts, as_of = make()
    first = assess(facts, as_of)
    for score in (*first.signals, first.behavior, first.trust):
        assert 0 <= score.value <= 100
        assert score.value == round(sum(i.points for i in score.items)), reasons(score)
    again = assess(PartnerFacts.model_validate(facts.model_dump()), as_of)
    assert again == first


class TestPromptAndThorough:
    def test_emerging_on_track_and_asked_for_field_advocacy(self) -> None:
        a = assess(*prompt_thorough())
        assert a.values["behavior"] >= 90 and a.values["gtm_readiness"] >= 90
        assert (a.tier.tier, a.tier.move) == (2, "promoted")
        assert a.classification.label == "on_track"
        assert a.next_action.action.startswith("Get one AE to say they would invite you again: you have 5 overlapping")
        assert "Contoso Health" in a.next_action.action and a.next_action.source == "signal field_advocacy"
        assert [g.signal for g in a.tier.needed] == ["field_advocacy", "early_traction"]

    def test_explanations_name_the_steps_and_the_pm_approval(self) -> None:
        a = assess(*prompt_thorough())
        readiness = reasons(a.signal("gtm_readiness"))
        assert "ICP names a buyer role ('vp') [step icp-profile]" in readiness
        assert "offer has an entry point sellers recognize ('assessment') [step services-offer]" in readiness
        assert "use case approved by the PM on 17 Oct, overriding the rules" in readiness
        behavior = reasons(a.behavior)
        assert "took up Dana Reyes's yes on Contoso Health [deal deal-1]" in behavior
        assert "16 step(s) in a row done on time" in behavior


class TestPromptWithOneLineAnswers:
    def test_prompt_but_thin_is_at_risk_and_told_what_to_sharpen(self) -> None:
        a = assess(*prompt_thin())
        assert a.values["behavior"] >= 90 and a.values["gtm_readiness"] < 50
        assert (a.tier.tier, a.classification.label) == (3, "at_risk")
        assert a.classification.reasons[0].startswith("prompt but thin: 4 answers add up to readiness")
        assert a.next_action.action == "Value proposition: say who the buyer is ('for heads of finance at ...')"
        assert a.next_action.source == "step icp-profile"
        readiness = reasons(a.signal("gtm_readiness"))
        assert "ICP does not name a buyer role: name the title of the person who owns the budget" in readiness
        assert "use case does not state a measured outcome" in readiness


class TestLateButExcellent:
    def test_strong_answers_slow_behavior_is_not_yet_invest(self) -> None:
        a = assess(*late_excellent())
        assert a.values["gtm_readiness"] >= 80 and a.values["behavior"] < 50
        assert (a.tier.tier, a.classification.label) == (3, "not_yet")
        assert a.classification.reasons == ("strong readiness 85", "no co-sell traction after 72 days")
        assert (
            a.next_action.action == "Request an intro on Contoso Health, Fabrikam Insurance, Tailspin Mutual and 2 more"
        )
        assert "2 of 2 reminders" in reasons(a.behavior) and "days late" in reasons(a.behavior)


class TestSilentAfterWeekOne:
    def test_disengaged_partner_is_not_now_and_moved_to_foundations(self) -> None:
        a = assess(*silent_after_week_one())
        assert a.values["behavior"] < 25 and a.values["gtm_readiness"] == 0
        assert (a.tier.tier, a.classification.label) == (3, "not_now")
        assert "ignored 5 invite(s) after every reminder: 'Describe your ideal customer" in "; ".join(
            a.classification.reasons
        )
        assert a.next_action.action.startswith("Move to foundations")
        assert "Describe your ideal customer and value proposition: never opened" in reasons(a.behavior)


class TestStrongReadinessNoAeEngagement:
    def test_not_yet_and_the_pm_chases_the_ae(self) -> None:
        a = assess(*strong_no_ae())
        assert a.values["gtm_readiness"] >= 90 and a.values["early_traction"] == 0
        assert (a.tier.tier, a.classification.label) == (3, "not_yet")
        assert a.next_action.action == "Chase Dana Reyes on the intro for Contoso Health"
        assert a.next_action.because == "waiting 48 days" and a.next_action.source == "intro intro-1"
        assert [g.signal for g in a.tier.needed] == ["early_traction"]


class TestWonDealWithGlowingFeedback:
    def test_promoted_to_invest_and_asked_for_a_reference(self) -> None:
        a = assess(*won_with_glowing_feedback())
        assert (a.tier.previous, a.tier.tier, a.tier.move) == (2, 1, "promoted")
        assert a.tier.reasons[0].startswith("meets every Tier 1 Invest criterion (gtm_readiness 100 >= 70")
        assert a.classification.label == "on_track" and a.tier.needed == ()
        assert a.values["field_advocacy"] >= 75
        advocacy = reasons(a.signal("field_advocacy"))
        assert "+20.0 Dana Reyes would invite them again after Contoso Health [feedback deal-1]" in advocacy
        assert "delivered in a won co-sell deal on Contoso Health [deal deal-1]" in reasons(
            a.signal("proven_capability")
        )
        assert a.next_action.action == (
            "Ask Dana Reyes for a reference after the won deal on Contoso Health, and send it as proof"
        )


def test_a_send_back_overrides_the_rules_and_comes_first() -> None:
    facts, as_of = prompt_thorough()
    back = Review(state="sent_back", at=START + 41 * DAY, comment="name the insurer and its result")
    subs = tuple(
        s.model_copy(update={"review": back, "sent_back_at": back.at}) if s.step_key == "use-case-writeup" else s
        for s in facts.submissions
    )
    a: Assessment = assess(facts.model_copy(update={"submissions": subs}), as_of)
    assert (
        a.next_action.action
        == "Revise 'Write up one repeatable use case' as the PM asked: name the insurer and its result"
    )
    readiness = reasons(a.signal("gtm_readiness"))
    # The sent-back answer no longer counts: the best remaining use case does, and says where it is from.
    assert a.values["gtm_readiness"] < 100
    assert "use case names a customer or a reference ('9 customers') [step solution-profile]" in readiness
    assert "Write up one repeatable use case: sent back 18 Oct, not revised" in reasons(a.behavior)
    only = facts.model_copy(update={"submissions": tuple(s for s in subs if s.step_key == "use-case-writeup")})
    alone = reasons(assess(only, as_of).signal("gtm_readiness"))
    assert "+0.0 use case sent back by the PM on 18 Oct: name the insurer and its result (the rules gave 15.0)" in alone
