"""deal_registration: the partner registers a co-sell deal through a form that must ask what a registration
needs (REGISTRATION_FIELDS); completing the step registers the deal, once per journey and step."""

from __future__ import annotations

from playbooks.forms import clean_fields, sample_fields
from playbooks.kinds.spec import Answers, CompletionHost, StepKindSpec
from playbooks.model import Step, StepKind

# What registering a co-sell deal needs from the partner's form (db/repositories/deals.register_from_step
# reads these keys): key -> (the field types that can carry it, whether the form must require it).
REGISTRATION_FIELDS: dict[str, tuple[tuple[str, ...], bool]] = {
    "account_name": (("text",), True),
    "account_domain": (("url", "text"), False),
    "ae_email": (("email",), False),
    "amount": (("number",), True),
    "currency": (("select", "text"), False),
    "expected_close": (("date",), True),
    "partner_role": (("select",), True),
    "description": (("text", "long_text"), False),
}
DEAL_ROLES = ("sourced", "influenced", "accelerated")

# Before this patch the completion's projection registered the deal in its own transaction; journeys
# begun then keep that path (their histories have no registration activity), later ones call one.
PATCH = "deal-registration-activity"


def check(step: Step) -> None:
    by_key = {f.key: f for f in step.fields}
    for key, (types, needed) in REGISTRATION_FIELDS.items():
        field = by_key.get(key)
        if field is None:
            if needed:
                raise ValueError(f"a deal_registration step needs a field {key!r} ({' or '.join(types)})")
            continue
        if field.type not in types:
            wanted = " or ".join(types)
            raise ValueError(f"field {key!r} of a deal_registration step must be {wanted}, not {field.type}")
        if needed and not field.required:
            raise ValueError(f"field {key!r} of a deal_registration step must be required")
    role = by_key["partner_role"]
    if not set(role.options) <= set(DEAL_ROLES):
        raise ValueError(f"partner_role options must be among {', '.join(DEAL_ROLES)}")


async def on_completed(host: CompletionHost, step: Step, answers: Answers) -> None:
    if host.patched(PATCH):
        await host.register_deal(step.key, answers)


SPEC: StepKindSpec = StepKindSpec(
    kind=StepKind.deal_registration,
    clean=clean_fields,
    simulate=sample_fields,
    check=check,
    on_completed=on_completed,
    effect_moved_by=PATCH,
)
