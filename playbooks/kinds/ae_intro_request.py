"""ae_intro_request: the partner picks up to three overlapping accounts and says why now; completing
the step writes one intro request per account for the owner AEs' digests."""

from __future__ import annotations

from playbooks.forms import as_list
from playbooks.kinds.spec import Answers, Cleaned, CompletionHost, StepKindSpec
from playbooks.model import Step, StepKind

MAX_ACCOUNTS = 3
REASON_MIN, REASON_MAX = 40, 2000


def clean(step: Step, raw: Answers) -> Cleaned:
    """Which accounts (checked against the overlap by the page and the activity; the workflow cannot
    read it) and why now."""
    accounts = list(dict.fromkeys(as_list(raw.get("accounts"))))
    reason = str(raw.get("reason") or "").strip()
    errors: dict[str, str] = {}
    if not accounts:
        errors["accounts"] = "pick at least one account from your overlap"
    elif len(accounts) > MAX_ACCOUNTS:
        errors["accounts"] = f"pick at most {MAX_ACCOUNTS} accounts (you picked {len(accounts)})"
    if len(reason) < REASON_MIN:
        errors["reason"] = f"needs at least {REASON_MIN} characters (you wrote {len(reason)})"
    elif len(reason) > REASON_MAX:
        errors["reason"] = f"must be at most {REASON_MAX} characters (you wrote {len(reason)})"
    return {"accounts": accounts, "reason": reason}, errors


def simulate(step: Step) -> Answers:
    reason = "Their renewal is in Q3 and we run the workload today; 20 minutes to compare account plans."
    return {"accounts": ["simulated-account"], "reason": reason}


async def on_completed(host: CompletionHost, step: Step, answers: Answers) -> None:
    # Journeys begun before intro requests existed completed this step without writing any.
    if host.patched("intro-requests"):
        await host.request_intros(step.key, answers["accounts"], answers["reason"])


SPEC: StepKindSpec = StepKindSpec(
    kind=StepKind.ae_intro_request,
    clean=clean,
    simulate=simulate,
    on_completed=on_completed,
    page="api.partner_pages.kinds.ae_intro_request",
)
