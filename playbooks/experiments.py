"""Experiments in a playbook: a step (or a play) names variants; the journey assigns each partner one of
them once, at random by weight (playbooks say what, workflows/journey/experiments.py says when).

A step's variant overrides its content (title, subject, intro, instructions, due days); a play's variant
says which of the play's steps the partner gets. The same experiment key may appear on several steps, in
several stages: a partner keeps the one variant it was given for all of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

if TYPE_CHECKING:
    from playbooks.model import Play, Playbook, Step

KEY = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")]
CONTENT = ("title", "subject", "intro", "instructions", "due_days")


class Variant(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: KEY
    weight: int = Field(default=1, gt=0, le=1000)  # relative: weights 1 and 3 give a quarter and three quarters
    title: str | None = Field(default=None, min_length=1)
    subject: str | None = Field(default=None, min_length=1, max_length=150, pattern=r"^[^\r\n]*$")
    intro: str | None = Field(default=None, min_length=1)
    instructions: str | None = None
    due_days: int | None = Field(default=None, gt=0, le=90)
    steps: tuple[KEY, ...] | None = None  # a play's variant: the play's steps this variant keeps, in play order

    def overrides(self) -> dict[str, object]:
        return {k: v for k in CONTENT if (v := getattr(self, k)) is not None}


class Experiment(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: KEY
    variants: tuple[Variant, ...]

    @field_validator("variants")
    @classmethod
    def _compares(cls, variants: tuple[Variant, ...]) -> tuple[Variant, ...]:
        if len(variants) < 2:
            raise ValueError(
                f"an experiment compares at least two variants, this one has {len(variants)}: "
                "add another (a control with no overrides will do) or remove `experiment:`"
            )
        names = [v.name for v in variants]
        if len(set(names)) != len(names):
            raise ValueError(f"variant names must be unique, got {names}")
        return variants

    def variant(self, name: str) -> Variant | None:
        return next((v for v in self.variants if v.name == name), None)


def check_step(step: Step) -> None:
    if step.experiment and any(v.steps is not None for v in step.experiment.variants):
        raise ValueError("a step's variants override its content; `steps:` belongs on a play's experiment")


def check_play(play: Play) -> None:
    if play.experiment is None:
        return
    keys = [s.key for s in play.steps]
    for variant in play.experiment.variants:
        if variant.overrides():
            raise ValueError(
                f"variant {variant.name}: a play's variant picks its steps (`steps:`); "
                f"put {', '.join(variant.overrides())} on a step's experiment"
            )
        if variant.steps is not None and (unknown := [k for k in variant.steps if k not in keys]):
            raise ValueError(f"variant {variant.name} names {unknown}, not steps of play {play.key} ({keys})")
        if variant.steps == ():
            raise ValueError(f"variant {variant.name} keeps none of the play's steps")


def check_playbook(playbook: Playbook) -> None:
    """One key, one experiment: where a key is used again it must name the same variants and weights,
    since a partner keeps the variant it was given."""
    seen: dict[str, tuple[str, list[tuple[str, int]]]] = {}
    places = [(f"play {p.key}", p.experiment) for st in playbook.stages for p in st.plays]
    places += [(f"step {s.key}", s.experiment) for _, _, s in playbook.iter_steps()]
    for where, experiment in places:
        if experiment is None:
            continue
        shape = [(v.name, v.weight) for v in experiment.variants]
        first = seen.setdefault(experiment.key, (where, shape))
        if first[1] != shape:
            raise ValueError(
                f"experiment {experiment.key} has variants {shape} at {where} but {first[1]} at {first[0]}: "
                "one experiment names the same variants and weights wherever it is used"
            )


def pick(experiment: Experiment, draw: float) -> Variant:
    """The variant a draw in [0, 1) falls on, by weight (the workflow draws with workflow.random())."""
    at = draw * sum(v.weight for v in experiment.variants)
    for variant in experiment.variants:
        at -= variant.weight
        if at < 0:
            return variant
    return experiment.variants[-1]  # float rounding at the very top of the range


def applied(step: Step, variant: Variant) -> Step:
    """The step as a partner in this variant sees it."""
    changes = variant.overrides()
    email: dict[str, object] = {k: changes.pop(k) for k in ("subject", "intro") if k in changes}
    if email:
        changes["email"] = step.email.model_copy(update=email)
    return step.model_copy(update=changes)


def as_assigned(step: Step, assigned: dict[str, str]) -> Step:
    """The step as a journey given {experiment key: variant name} sees it."""
    experiment = step.experiment
    variant = experiment.variant(assigned[experiment.key]) if experiment and experiment.key in assigned else None
    return applied(step, variant) if variant else step


def with_variants(playbook: Playbook, assigned: dict[str, str]) -> Playbook:
    """The playbook as one journey sees it, given its {experiment key: variant name} (pages and emails)."""
    if not assigned:
        return playbook

    def step_of(step: Step) -> Step:
        return as_assigned(step, assigned)

    stages = [
        stage.model_copy(
            update={"plays": tuple(p.model_copy(update={"steps": tuple(map(step_of, p.steps))}) for p in stage.plays)}
        )
        for stage in playbook.stages
    ]
    return playbook.model_copy(update={"stages": tuple(stages)})
