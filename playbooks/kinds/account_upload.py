"""account_upload: the partner uploads its account list; the page writes the list and shows the overlap.

The page imports the list itself (intake data, like the PM's imports); the journey records only how
many accounts and matches it had, through the same complete_step Update as every other step.
"""

from __future__ import annotations

from typing import Any

from playbooks.kinds.spec import Answers, Cleaned, StepKindSpec
from playbooks.model import Step, StepKind


def _count(raw: Any, minimum: int) -> int | None:
    return raw if isinstance(raw, int) and not isinstance(raw, bool) and raw >= minimum else None


def clean(step: Step, raw: Answers) -> Cleaned:
    accounts, overlapping = _count(raw.get("accounts"), 1), _count(raw.get("overlapping"), 0)
    if accounts is None or overlapping is None:
        return {}, {"accounts": "upload a list with at least one account, then confirm it"}
    return {"accounts": accounts, "overlapping": overlapping}, {}


def simulate(step: Step) -> Answers:
    return {"accounts": 40, "overlapping": 0}  # a simulated window has no vendor accounts to overlap


SPEC: StepKindSpec = StepKindSpec(
    kind=StepKind.account_upload, clean=clean, simulate=simulate, page="api.partner_pages.kinds.account_upload"
)
