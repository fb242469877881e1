"""`when:` conditions are checked when a playbook loads: a typo is a file:line:path error, not a surprise."""

from __future__ import annotations

from pathlib import Path

import pytest

from playbooks.conditions import evaluate
from playbooks.loader import PlaybookError, load_playbook, reference
from tests.playbooks.test_loader import GOOD, broken

STEP = "          - key: target-account\n"  # quickstart-14d, activation, its first step


def with_condition(tmp_path: Path, expression: str) -> Path:
    return broken(tmp_path, STEP, f"{STEP}            when: '{expression}'\n")


def issue_for(tmp_path: Path, expression: str) -> tuple[str, str, str]:
    folder = with_condition(tmp_path, expression)
    with pytest.raises(PlaybookError) as err:
        load_playbook(folder)
    [issue] = err.value.issues
    line = (folder / "playbook.yaml").read_text().splitlines()[issue.line - 1].strip()
    return issue.path, issue.message, line


class TestLoadTimeChecks:
    def test_a_misspelt_fact_names_file_line_and_path(self, tmp_path: Path) -> None:
        path, message, line = issue_for(tmp_path, 'partner.tpye == "SI"')
        assert path == "stages[1].plays[0].steps[0].when"
        known = "classification, country, region, tier, type, verticals"
        assert message == f"unknown fact partner.tpye; partner has {known}"
        assert line == "when: 'partner.tpye == \"SI\"'"

    def test_an_unknown_root_fact(self, tmp_path: Path) -> None:
        _, message, _ = issue_for(tmp_path, "overlaps.count > 0")
        assert message == "unknown fact 'overlaps'; a condition can read partner, answers, overlap, deals, signals"

    def test_answers_of_a_later_or_missing_step_are_refused(self, tmp_path: Path) -> None:
        _, message, _ = issue_for(tmp_path, 'answers.listing.listing_url != ""')
        assert "no step 'listing' before this one" in message

    def test_a_field_the_earlier_step_does_not_have(self, tmp_path: Path) -> None:
        _, message, _ = issue_for(tmp_path, 'answers.icp.sector == "Retail"')
        assert message.startswith("unknown fact answers.icp.sector; answers.icp has company_size, industry")

    def test_types_are_checked_on_the_declared_facts(self, tmp_path: Path) -> None:
        _, message, _ = issue_for(tmp_path, 'answers.icp.company_size > "big"')
        assert message.startswith("does not type-check against the facts") and "(double, string)" in message

    def test_syntax_errors_and_non_boolean_results(self, tmp_path: Path) -> None:
        assert issue_for(tmp_path, "overlap.count >")[1].startswith("not a valid CEL expression")
        (tmp_path / "b").mkdir()
        assert issue_for(tmp_path / "b", "partner.tier")[1] == "must be true or false (a comparison), not a value"

    def test_a_good_condition_loads_and_changes_the_snapshot_hash(self, tmp_path: Path) -> None:
        condition = 'answers.icp.company_size > 100.0 && partner.verticals.exists(v, v == "Retail")'
        playbook = load_playbook(with_condition(tmp_path, condition))
        assert playbook.step("target-account").when == condition
        assert reference(playbook).sha256 != reference(load_playbook(GOOD)).sha256

    def test_a_condition_that_is_always_false_makes_its_step_unreachable(self, tmp_path: Path) -> None:
        path, message, _ = issue_for(tmp_path, "1 > 2 || [1, 2].exists(n, n > 5)")
        assert path == "stages[1].plays[0].steps[0].when"
        assert message == "is always false, whatever the facts: what it guards is unreachable"
        (tmp_path / "b").mkdir()
        assert load_playbook(with_condition(tmp_path / "b", "1 < 2")).step("target-account").when == "1 < 2"

    def test_deals_signals_classification_and_segments_are_facts(self, tmp_path: Path) -> None:
        condition = (
            'deals.accepted == 0 && signals.proven_capability >= 40 && partner.classification != "not_now" '
            '&& "Enterprise" in overlap.segments'
        )
        assert load_playbook(with_condition(tmp_path, condition)).step("target-account").when == condition
        (tmp_path / "b").mkdir()
        _, message, _ = issue_for(tmp_path / "b", "signals.proven_capabilty > 40")
        assert message.startswith("unknown fact signals.proven_capabilty; signals has behavior, early_traction")
        (tmp_path / "c").mkdir()
        assert "(int, string)" in issue_for(tmp_path / "c", 'deals.won > "none"')[1]


class TestEvaluation:
    FACTS = {"partner": {"type": "SI", "tier": 1}, "answers": {}, "overlap": {"count": 2}}

    def test_true_and_false(self) -> None:
        assert evaluate("overlap.count > 0", self.FACTS) is True
        assert evaluate('partner.type == "ISV"', self.FACTS) is False

    def test_a_fact_missing_at_run_time_is_false_not_a_crash(self) -> None:
        assert evaluate('answers.icp.industry == "Retail"', self.FACTS) is False
        assert evaluate('!has(answers.icp) || answers.icp.industry == "Retail"', self.FACTS) is True
