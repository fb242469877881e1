"""deal_registration: the partner registers a co-sell deal through a form whose fields the model checks
(playbooks.model.DEAL_REGISTRATION_FIELDS); completing the step registers the deal, once per journey
and step."""

from __future__ import annotations

from playbooks.forms import clean_fields, sample_fields
from playbooks.kinds.spec import StepKindSpec
from playbooks.model import StepKind

SPEC: StepKindSpec = StepKindSpec(kind=StepKind.deal_registration, clean=clean_fields, simulate=sample_fields)
