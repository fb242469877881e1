"""meeting: the partner confirms a meeting is booked or has happened (the calendar is outside us)."""

from __future__ import annotations

from playbooks.kinds import acknowledge
from playbooks.kinds.spec import StepKindSpec
from playbooks.model import StepKind

SPEC: StepKindSpec = StepKindSpec(
    kind=StepKind.meeting,
    clean=acknowledge.clean,
    simulate=acknowledge.simulate,
    confirm_label="This meeting is booked or has happened",
)
