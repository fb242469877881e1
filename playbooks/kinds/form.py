"""form: the partner fills in the step's fields (at least one)."""

from __future__ import annotations

from playbooks.forms import clean_fields, sample_fields
from playbooks.kinds.spec import StepKindSpec
from playbooks.model import Step, StepKind


def check(step: Step) -> None:
    if not step.fields:
        raise ValueError("a form step needs at least one field")


SPEC: StepKindSpec = StepKindSpec(
    kind=StepKind.form, clean=clean_fields, simulate=sample_fields, check=check, judged_answers=True
)
