"""Experiments as the loader reads them: at least two variants, a play's variants name its own steps, one
key one set of variants, each mistake with file, line and path; and how a variant changes a step."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from playbooks.experiments import pick, with_variants
from playbooks.loader import load_playbook, reference
from tests.playbooks.test_unlock_parallel import HERE, issues_of

SOURCE = "experiment-tone.yaml"
CASUAL = """                - {name: casual, subject: "Two minutes: how we co-sell", due_days: 12,
                   instructions: "Skim this, then tick the box: that's it."}
"""


class TestRefusals:
    def test_an_experiment_with_one_variant_is_refused_at_its_variants(self, tmp_path: Path) -> None:
        [(line, path, message, text)] = issues_of(tmp_path, SOURCE, CASUAL, "")
        assert path == "stages[0].plays[0].steps[0].experiment.variants"
        assert message.startswith("an experiment compares at least two variants, this one has 1")
        assert line == 22 and text.startswith("- {name: formal"), (line, text)  # the list's (only) variant

    def test_a_play_variant_naming_a_step_the_play_lacks(self, tmp_path: Path) -> None:
        [(line, path, message, text)] = issues_of(tmp_path, SOURCE, "steps: [case-study]", "steps: [case-studies]")
        assert path == "stages[1].plays[1]" and text == "- key: proof" and line == 45
        assert message == (
            "variant short names ['case-studies'], not steps of play proof (['case-study', 'reference-call'])"
        )

    def test_content_on_a_play_variant_and_steps_on_a_step_variant(self, tmp_path: Path) -> None:
        [(_, path, message, _)] = issues_of(tmp_path, SOURCE, "- {name: full}", "- {name: full, subject: Hi}")
        assert path == "stages[1].plays[1]" and "a play's variant picks its steps" in message
        other = tmp_path / "b"
        other.mkdir()
        found = issues_of(
            other, SOURCE, "- {name: formal, subject: Kindly", "- {name: formal, steps: [x], subject: Kindly"
        )
        [(_, path, message, _)] = found
        assert path == "stages[1].plays[0].steps[0]" and "`steps:` belongs on a play's experiment" in message

    def test_one_key_names_the_same_variants_wherever_it_is_used(self, tmp_path: Path) -> None:
        [(_, path, message, _)] = issues_of(
            tmp_path, SOURCE, "- {name: casual, subject: \"Let's", "- {name: chatty, subject: \"Let's"
        )
        assert path == ""
        assert message.startswith("experiment tone has variants [('formal', 1), ('chatty', 1)] at step book-call")

    def test_duplicate_variant_names(self, tmp_path: Path) -> None:
        [(_, path, message, _)] = issues_of(tmp_path, SOURCE, "- {name: short,", "- {name: full,")
        assert path == "stages[1].plays[1].experiment.variants"
        assert message == "variant names must be unique, got ['full', 'full']"


class TestVariants:
    def test_a_variant_overrides_the_steps_content_and_due_days_only(self) -> None:
        playbook = load_playbook(HERE / SOURCE)
        casual = with_variants(playbook, {"tone": "casual"})
        rules, base = casual.step("rules"), playbook.step("rules")
        assert (rules.email.subject, rules.due_days) == ("Two minutes: how we co-sell", 12)
        assert rules.email.intro == base.email.intro and rules.title == base.title  # not overridden: kept
        assert casual.step("book-call").email.subject == "Let's get a call in the diary"
        assert with_variants(playbook, {}) is playbook

    def test_weights_share_the_draws(self) -> None:
        playbook = load_playbook(HERE / SOURCE)
        experiment = playbook.step("rules").experiment
        assert experiment is not None
        weighted = experiment.model_copy(
            update={"variants": (experiment.variants[0].model_copy(update={"weight": 3}), experiment.variants[1])}
        )
        drawn = Counter(pick(weighted, i / 1000).name for i in range(1000))
        assert drawn == {"formal": 750, "casual": 250}
        assert pick(weighted, 0.0).name == "formal" and pick(weighted, 0.999999).name == "casual"

    def test_a_playbook_without_experiments_hashes_as_before(self) -> None:
        """Published snapshots keep their sha: the absent `experiment:` is left out of the hash."""
        playbook = load_playbook(HERE / "parallel-launch.yaml")
        assert reference(playbook).sha256 == "6c3d6b4ba5be6fa2fe8ddcf3e9c1f9b5c5526560c95c80d30acb3b54021298b8"
