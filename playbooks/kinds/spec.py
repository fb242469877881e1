"""What a step kind declares, and the two seams through which a kind reaches I/O without importing it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from playbooks.model import Step, StepKind

Answers = dict[str, Any]
Cleaned = tuple[Answers, dict[str, str]]  # (normalised answers, {field key: error})


class CompletionHost(Protocol):
    """What a completion effect may ask of the journey that completed the step. The journey workflow
    implements it with activities, so a kind module stays pure and the workflow sandbox can import it."""

    def patched(self, patch_id: str) -> bool: ...

    async def request_intros(self, step_key: str, accounts: list[str], reason: str) -> None: ...

    async def register_deal(self, step_key: str, answers: Answers) -> None: ...


Effect = Callable[[CompletionHost, Step, Answers], Awaitable[None]]


@dataclass(frozen=True)
class StepKindSpec:
    kind: StepKind
    # The partner's raw answers -> what the journey stores; the page and the workflow's validator agree.
    clean: Callable[[Step, Answers], Cleaned]
    # What a diligent simulated partner answers in the dry run (preview.py); must pass `clean`.
    simulate: Callable[[Step], Answers]
    # What a playbook step of this kind must declare beyond the model's own rules (raises ValueError saying
    # what; the loader says where). Runs whenever a Step is built, so no invalid step is ever published.
    check: Callable[[Step], None] | None = None
    # Runs inside the journey's complete_step Update, after the completion is projected: the partner's
    # confirmation means the effect happened. Any effect added to a running kind goes behind a patch.
    on_completed: Effect | None = None
    # The patch that moved this kind's effect out of the completion's projection (where journeys begun
    # before it still run it, activities/journeys.py); None for an effect that never lived there.
    effect_moved_by: str | None = None
    # Dotted name of the module serving this kind's link page (show / submit / done), imported only by
    # the API; None means the generic step page (the step's fields, or one confirmation box).
    page: str | None = None
    # The answers are the partner's own account of its business, which the readiness rubric judges
    # (domain/intel); other kinds' completions count as behavior (uploads, intros, deals).
    judged_answers: bool = False
    # The generic page's confirmation box, for a step without fields.
    confirm_label: str = "I have read this and I'm ready to work this way"

    @property
    def revisable(self) -> bool:
        """Whether a playbook may let the partner revise this kind's answer (`revisable: true`): only a kind
        whose answer is all it does, on the generic page, and that waits for no event."""
        return self.on_completed is None and self.page is None and self.kind != StepKind.wait_for_event
