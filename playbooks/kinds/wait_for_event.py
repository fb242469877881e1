"""wait_for_event: the journey waits for something recorded elsewhere (a deal registered, accepted or won,
an intro accepted, AE feedback, a tier reached) or for its timeout, then takes the playbook's branch.

No page and no email: the partner is not asked to do anything. The event reaches the journey as the
`partner_event` signal (workflows/journey/events.py), sent by whatever recorded it, deduplicated by id.
"""

from __future__ import annotations

from playbooks.kinds.spec import Answers, Cleaned, StepKindSpec
from playbooks.model import Step, StepKind, WaitEvent


def check(step: Step) -> None:
    wait = step.wait
    if wait is None:
        raise ValueError("a wait_for_event step needs `wait:` (event, timeout_days, on_timeout)")
    if step.fields:
        raise ValueError("a wait_for_event step has no form fields: the partner is not asked anything")
    if step.due_days != wait.timeout_days:
        raise ValueError("a wait_for_event step is due when it times out: leave out due_days")
    if (wait.event == WaitEvent.tier_reached) != (wait.tier is not None):
        raise ValueError("`tier` is needed by a tier_reached wait, and only by one")


def clean(step: Step, raw: Answers) -> Cleaned:
    """What ended the wait. Never a partner's answer: the journey refuses to complete a wait by Update."""
    event = step.wait.event.value if step.wait else ""
    if raw.get("event") != event:
        return {}, {"event": f"this step completes when a {event.replace('_', ' ')} is recorded"}
    return {"event": event}, {}


def simulate(step: Step) -> Answers:
    return {"event": step.wait.event.value if step.wait else ""}


SPEC: StepKindSpec = StepKindSpec(kind=StepKind.wait_for_event, clean=clean, simulate=simulate, check=check)
