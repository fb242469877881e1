"""acknowledge: the partner ticks one box (read and agreed); a step with fields is a form instead."""

from __future__ import annotations

from playbooks.forms import clean_fields, sample_fields
from playbooks.kinds.spec import Answers, Cleaned, StepKindSpec
from playbooks.model import Step, StepKind

TICKED = ("on", "true", "yes", "1")


def clean(step: Step, raw: Answers) -> Cleaned:
    if step.fields:
        return clean_fields(step, raw)
    if str(raw.get("acknowledged", "")).lower() not in TICKED:
        return {"acknowledged": True}, {"acknowledged": "please tick the box to confirm"}
    return {"acknowledged": True}, {}


def simulate(step: Step) -> Answers:
    return sample_fields(step) if step.fields else {"acknowledged": "yes"}


SPEC: StepKindSpec = StepKindSpec(kind=StepKind.acknowledge, clean=clean, simulate=simulate)
