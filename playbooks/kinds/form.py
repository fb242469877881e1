"""form: the partner fills in the step's fields (at least one, the model insists)."""

from __future__ import annotations

from playbooks.forms import clean_fields, sample_fields
from playbooks.kinds.spec import StepKindSpec
from playbooks.model import StepKind

SPEC: StepKindSpec = StepKindSpec(kind=StepKind.form, clean=clean_fields, simulate=sample_fields)
