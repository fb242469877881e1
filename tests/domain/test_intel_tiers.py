"""The tier rubric file, the tier decision with hysteresis, recency, and the PM's act-today ranking."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.intel import behavior
from domain.intel.assess import assess
from domain.intel.rubric import RubricError, default_rubric, load_rubric
from domain.intel.tiers import decide
from domain.intel.today import candidates, rank
from tests.intel_data import DAY, OVERLAP, START, Pace, deal, intro, partner

EMERGING = {"gtm_readiness": 60, "proven_capability": 30, "early_traction": 10, "field_advocacy": 0, "behavior": 60}


class TestRubricFile:
    def test_default_matches_the_domain_tiers(self) -> None:
        rubric = default_rubric()
        assert (rubric.id, rubric.version) == ("default", 1)
        assert [rubric.name(t) for t in (1, 2, 3)] == ["Invest", "Emerging", "Baseline"]

    def test_errors_name_file_line_and_path(self, tmp_path: Path) -> None:
        text = (Path(__file__).parents[2] / "domain/rubrics/default-v1.yaml").read_text()
        text = text.replace("        min: 25\n", "        min: 125\n").replace("signal: behavior", "signal: mood")
        file = tmp_path / "program-v2.yaml"
        file.write_text(text)
        lines = text.splitlines()
        min_line = lines.index("        min: 125") + 1
        mood_line = lines.index("      - signal: mood") + 1
        with pytest.raises(RubricError) as caught:
            load_rubric(file)
        found = [str(i) for i in caught.value.issues]
        assert f"{file}:{min_line}: tiers[0].criteria[1].min: Input should be less than or equal to 100" in found
        assert any(i.startswith(f"{file}:{mood_line}: tiers[0].criteria[3].signal: Input should be") for i in found)

    def test_tier_one_cannot_ask_less_than_tier_two(self, tmp_path: Path) -> None:
        text = (Path(__file__).parents[2] / "domain/rubrics/default-v1.yaml").read_text()
        file = tmp_path / "loose.yaml"
        file.write_text(text.replace("        min: 70\n", "        min: 40\n"))
        with pytest.raises(RubricError, match=r"loose.yaml:\d+: tier 1 asks less gtm_readiness \(40\) than tier 2"):
            load_rubric(file)

    def test_invalid_yaml_names_the_line(self, tmp_path: Path) -> None:
        file = tmp_path / "broken.yaml"
        file.write_text("id: x\nversion: 1\ntiers: [\n")
        with pytest.raises(RubricError, match=r"broken.yaml:4: invalid YAML"):
            load_rubric(file)


class TestHysteresis:
    def test_promotion_needs_every_criterion(self) -> None:
        rubric = default_rubric()
        assert decide(rubric, EMERGING, current=3).tier == 2
        assert decide(rubric, {**EMERGING, "behavior": 39}, current=3).move == "kept"

    def test_one_bad_review_within_the_margin_holds_the_tier(self) -> None:
        slipping = {**EMERGING, "gtm_readiness": 45}  # 5 short of Emerging's 50, margin 10
        first = decide(default_rubric(), slipping, current=2, missed_reviews=0)
        assert (first.tier, first.move, first.missed_reviews) == (2, "held", 1)
        assert first.reasons[0] == "misses Tier 2 Emerging: gtm_readiness 45 < 50"
        assert [g.signal for g in first.needed] == ["gtm_readiness"] and first.next_tier == 2
        second = decide(default_rubric(), slipping, current=2, missed_reviews=first.missed_reviews)
        assert (second.tier, second.move, second.missed_reviews) == (3, "demoted", 0)
        assert second.reasons[-1] == "missed at 2 reviews in a row"

    def test_missing_by_the_margin_demotes_at_once(self) -> None:
        collapsed = {**EMERGING, "behavior": 20}
        decision = decide(default_rubric(), collapsed, current=2)
        assert (decision.tier, decision.move) == (3, "demoted")
        assert "behavior is 20 points short, at least the margin of 10" in decision.reasons

    def test_recovering_resets_the_count(self) -> None:
        decision = decide(default_rubric(), EMERGING, current=2, missed_reviews=1)
        assert (decision.tier, decision.move, decision.missed_reviews) == (2, "kept", 0)


class TestRecency:
    def test_the_same_late_step_weighs_less_when_old(self) -> None:
        as_of = START + 72 * DAY
        facts = partner("p", Pace(), as_of)
        late = facts.steps[0].model_copy(update={"completed_at": facts.steps[0].due_at + 6 * DAY, "reminders_sent": 2})
        recent_late = facts.steps[-1].model_copy(
            update={"completed_at": facts.steps[-1].due_at + 6 * DAY, "reminders_sent": 2}
        )
        old_bad = facts.model_copy(update={"steps": (late, *facts.steps[1:])})
        new_bad = facts.model_copy(update={"steps": (*facts.steps[:-1], recent_late)})
        at = START + 100 * DAY
        assert behavior.score(old_bad, at).value > behavior.score(new_bad, at).value
        assert behavior.decay(30 * DAY) == pytest.approx(0.5)


class TestActToday:
    def test_ranked_by_impact_times_urgency_with_reasons_and_links(self) -> None:
        as_of = START + 72 * DAY
        waiting = partner("no-ae", Pace(), as_of, tier=2, intros=(intro(1, "sent", START + 60 * DAY),))
        flagged = partner(
            "flagged",
            Pace(),
            as_of,
            deals=(deal(7, "registered", START + 71 * DAY, START + 71 * DAY, account=OVERLAP[2], conflict="flagged"),),
        )
        late = partner("late-excellent", Pace(seen=4, done=12, reminders=2), as_of)
        items = [i for f in (waiting, flagged, late) for i in candidates(f, assess(f, as_of))]
        ranked = rank(items)
        top = ranked[0]
        # Tier 2 intro waiting 12 days: impact 4 + 1, urgency 1 + 12 // 3 = 5.
        assert (top.kind, top.partner_id, top.impact, top.urgency, top.rank) == ("intro_waiting", "no-ae", 5, 5, 25)
        assert top.reason == "Dana Reyes has not answered the intro on Contoso Health"
        assert top.link == "/api/v1/partners/no-ae"
        kinds = [i.kind for i in ranked]
        assert {"flagged_deal", "not_yet_intro"} <= set(kinds)
        assert [i.rank for i in ranked] == sorted((i.rank for i in ranked), reverse=True)
        assert rank(reversed(items)) == ranked  # a stable order whatever the input order
