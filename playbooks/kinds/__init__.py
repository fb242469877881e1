"""One home per step kind: each StepKind is one module here declaring what a playbook step of it must
declare, its answer cleaning, its simulated answers (the dry run), its completion effect (run by the
journey), whether the readiness rubric judges its answers, and its link page.

Why the kinds live in playbooks/ (pure) and reach I/O through two seams:
- The workflow sandbox imports this package (pass-through) to clean answers and run completion
  effects, and the API and the dry run import it too; playbooks/ is the room all three may import.
  playbooks.model imports it last, so a Step is checked against its kind whenever it is built.
- A completion effect needs activities, which a pure module may not call: it is written against
  `CompletionHost`, a Protocol the journey workflow implements with typed activity calls.
- A link page needs FastAPI, the database and Temporal: the spec names its page module by dotted
  path, and only the API imports it (api/partner_pages/kind_pages.py). A Protocol for everything a
  page touches (forms, uploads, templates, reads, the journey Update) would be wider than the pages.

Adding a kind: add its StepKind, one module here exporting SPEC (plus, if its page is not the
generic one, its page module and templates), and list it in KINDS below.
"""

from __future__ import annotations

from playbooks.kinds import (
    account_upload,
    acknowledge,
    ae_intro_request,
    deal_registration,
    form,
    meeting,
    wait_for_event,
)
from playbooks.kinds.spec import Answers, Cleaned, CompletionHost, StepKindSpec
from playbooks.model import Step, StepKind

KINDS: dict[StepKind, StepKindSpec] = {
    spec.kind: spec
    for spec in (
        form.SPEC,
        acknowledge.SPEC,
        meeting.SPEC,
        account_upload.SPEC,
        ae_intro_request.SPEC,
        deal_registration.SPEC,
        wait_for_event.SPEC,
    )
}

__all__ = ["KINDS", "Answers", "Cleaned", "CompletionHost", "StepKindSpec", "clean_answers", "kind_of"]


def kind_of(step: Step) -> StepKindSpec:
    return KINDS[step.kind]


def clean_answers(step: Step, raw: Answers) -> Cleaned:
    """Return (normalised answers, {field key: error}) as the step's kind accepts them."""
    return kind_of(step).clean(step, raw)


def simulated_answers(step: Step) -> Answers:
    return kind_of(step).simulate(step)
