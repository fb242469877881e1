"""The step-kind registry: one module per StepKind, each consistent with itself."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from domain.intel.facts import AnswerKind, answer_kinds_of
from playbooks.kinds import KINDS, clean_answers
from playbooks.loader import shipped_playbooks
from playbooks.model import Step, StepKind

STEPS = [step for playbook in shipped_playbooks() for _, _, step in playbook.iter_steps()]


def steps_of(kind: StepKind) -> list[Step]:
    return [step for step in STEPS if step.kind == kind]


class TestRegistry:
    def test_every_step_kind_has_its_own_module(self) -> None:
        assert set(KINDS) == set(StepKind)
        for kind, spec in KINDS.items():
            assert spec.kind == kind
            assert importlib.import_module(f"playbooks.kinds.{kind.value}").SPEC is spec

    @pytest.mark.parametrize("kind", list(StepKind), ids=[k.value for k in StepKind])
    def test_simulated_answers_pass_the_kinds_own_cleaning(self, kind: StepKind) -> None:
        spec, steps = KINDS[kind], steps_of(kind)
        assert steps, f"no shipped playbook has a {kind.value} step to check against"
        for step in steps:
            assert spec.clean(step, spec.simulate(step))[1] == {}, step.key

    @pytest.mark.parametrize("kind", list(StepKind), ids=[k.value for k in StepKind])
    def test_no_answer_at_all_is_refused(self, kind: StepKind) -> None:
        for step in steps_of(kind):
            assert clean_answers(step, {})[1] != {}, step.key

    def test_a_kinds_own_rules_refuse_a_step_as_it_is_built(self) -> None:
        step = steps_of(StepKind.form)[0].model_dump()
        with pytest.raises(ValidationError, match="a form step needs at least one field"):
            Step.model_validate({**step, "fields": []})
        with pytest.raises(ValidationError, match="a deal_registration step needs a field 'account_name'"):
            Step.model_validate({**step, "kind": "deal_registration"})
        assert Step.model_validate({**step, "kind": "acknowledge", "fields": []}).fields == ()

    @pytest.mark.parametrize("kind", list(StepKind), ids=[k.value for k in StepKind])
    def test_only_a_kind_with_judged_answers_feeds_the_readiness_rubric(self, kind: StepKind) -> None:
        found = answer_kinds_of(kind.value, ["icp_clarity"], ["value_proposition"])
        judged = (AnswerKind.icp, AnswerKind.value_proposition)
        assert found == (judged if kind == StepKind.form else ()), "uploads, intros, deals count as behavior"

    def test_every_playbooks_module_can_be_imported_first(self) -> None:
        """The model validates a step against its kind and the kinds import the model: the cycle must close
        whichever module a process imports first."""
        root = Path(__file__).resolve().parents[2]
        modules = [
            ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
            for path in sorted((root / "playbooks").rglob("*.py"))
        ]
        assert "playbooks.model" in modules and "playbooks.kinds.spec" in modules
        for module in modules:
            done = subprocess.run([sys.executable, "-c", f"import {module}"], cwd=root, capture_output=True, text=True)
            assert done.returncode == 0, f"importing {module} first: {done.stderr[-800:]}"


class TestKindsWithoutFields:
    def test_an_acknowledgement_with_fields_is_cleaned_as_a_form(self) -> None:
        form = steps_of(StepKind.form)[0]
        step = form.model_copy(update={"kind": StepKind.acknowledge})
        assert clean_answers(step, {"acknowledged": "yes"}) == clean_answers(form, {"acknowledged": "yes"})

    def test_an_account_upload_records_counts_only(self) -> None:
        [step, *_] = steps_of(StepKind.account_upload)
        assert clean_answers(step, {"accounts": 12, "overlapping": 3, "names": ["x"]}) == (
            {"accounts": 12, "overlapping": 3},
            {},
        )
        assert "accounts" in clean_answers(step, {"accounts": True, "overlapping": 0})[1]

    def test_an_intro_request_takes_at_most_three_distinct_accounts_and_a_reason(self) -> None:
        [step, *_] = steps_of(StepKind.ae_intro_request)
        reason = "Their renewal is in Q3 and we already run the workload in production."
        answers, errors = clean_answers(step, {"accounts": ["a", "a", "b"], "reason": f"  {reason} "})
        assert (answers, errors) == ({"accounts": ["a", "b"], "reason": reason}, {})
        _, errors = clean_answers(step, {"accounts": ["a", "b", "c", "d"], "reason": "soon"})
        assert set(errors) == {"accounts", "reason"}
