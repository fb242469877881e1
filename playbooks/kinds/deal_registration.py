"""deal_registration: the partner registers a co-sell deal through a form whose fields the model checks
(playbooks.model.DEAL_REGISTRATION_FIELDS); completing the step registers the deal, once per journey
and step."""

from __future__ import annotations

from playbooks.forms import clean_fields, sample_fields
from playbooks.kinds.spec import Answers, CompletionHost, StepKindSpec
from playbooks.model import Step, StepKind

# Before this patch the completion's projection registered the deal in its own transaction; journeys
# begun then keep that path (their histories have no registration activity), later ones call one.
PATCH = "deal-registration-activity"


async def on_completed(host: CompletionHost, step: Step, answers: Answers) -> None:
    if host.patched(PATCH):
        await host.register_deal(step.key, answers)


SPEC: StepKindSpec = StepKindSpec(
    kind=StepKind.deal_registration,
    clean=clean_fields,
    simulate=sample_fields,
    on_completed=on_completed,
    effect_moved_by=PATCH,
)
