"""The playbook as typed data: stages -> plays -> steps, validated before any workflow sees it."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from playbooks import experiments
from playbooks.experiments import Experiment

KEY = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")]
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
# Snapshot tables store the version as a 32-bit INTEGER; a bigger one would pass here and crash publish.
MAX_VERSION = 2**31 - 1


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StageKey(StrEnum):
    awareness = "awareness"
    activation = "activation"
    acceleration = "acceleration"


class StepKind(StrEnum):
    form = "form"
    acknowledge = "acknowledge"
    account_upload = "account_upload"
    ae_intro_request = "ae_intro_request"
    deal_registration = "deal_registration"
    meeting = "meeting"
    wait_for_event = "wait_for_event"


class PartnerType(StrEnum):
    SI = "SI"
    ISV = "ISV"
    MSP = "MSP"
    referral = "referral"
    influence = "influence"


class ReadinessSignal(StrEnum):
    """The five readiness signals of DOMAIN.md ("proof before pipeline")."""

    icp_clarity = "icp_clarity"
    packaged_offer = "packaged_offer"
    repeatable_use_case = "repeatable_use_case"
    proof_points = "proof_points"
    messaging_consistency = "messaging_consistency"


FieldType = Literal["text", "long_text", "select", "multi_select", "url", "number", "date", "email"]


class FormField(Strict):
    key: KEY
    label: str = Field(min_length=1)
    type: FieldType
    required: bool = True
    help: str = ""
    options: tuple[str, ...] = ()
    min_length: int | None = Field(default=None, ge=0)
    max_length: int | None = Field(default=None, gt=0)
    min_value: float | None = None
    max_value: float | None = None

    @model_validator(mode="after")
    def _options_match_type(self) -> FormField:
        choice = self.type in ("select", "multi_select")
        if choice and not self.options:
            raise ValueError(f"a {self.type} field needs options")
        if not choice and self.options:
            raise ValueError(f"options are only allowed on select and multi_select, not {self.type}")
        if len(set(self.options)) != len(self.options):
            raise ValueError("options must be unique")
        return self


class Cadence(Strict):
    every_business_days: int = Field(default=3, gt=0, le=30)
    max_reminders: int = Field(default=2, ge=0, le=10)


class QuietHours(Strict):
    """Local times in the partner's time zone during which no email is sent."""

    start: str = "19:00"
    end: str = "08:00"

    @model_validator(mode="after")
    def _hhmm(self) -> QuietHours:
        for value in (self.start, self.end):
            if not HHMM.match(value):
                raise ValueError(f"{value!r} is not a HH:MM time")
        return self


class EmailCopy(Strict):
    subject: str = Field(min_length=1, max_length=150)
    intro: str = Field(min_length=1)

    @model_validator(mode="after")
    def _one_line_subject(self) -> EmailCopy:
        if "\n" in self.subject or "\r" in self.subject:
            raise ValueError("subject must be a single line")
        return self


class WaitEvent(StrEnum):
    """What a wait_for_event step waits for; each reaches the journey as a signal from where it is recorded."""

    deal_registered = "deal_registered"  # by the partner's step, the PM or a CRM import
    deal_accepted = "deal_accepted"
    deal_won = "deal_won"
    intro_accepted = "intro_accepted"
    feedback_received = "feedback_received"
    tier_reached = "tier_reached"
    overlap_found = "overlap_found"  # an account upload or a vendor import created overlap for the partner


class Wait(Strict):
    event: WaitEvent
    # Required: a wait that nothing ends would hold the partner's journey until the window closes.
    timeout_days: int = Field(gt=0, le=90)
    on_event: Literal["continue"] = "continue"
    on_timeout: Literal["skip", "escalate", "exit"]
    tier: Literal[1, 2] | None = None  # tier_reached: this tier or better


class Unlock(Strict):
    """What a step needs before the partner can work it: overlap (an intro request asks for overlapping
    accounts). Without it the journey waits for an upload or import to create some, until the timeout."""

    by: Literal["overlap"] = "overlap"
    # Required: without a timeout a partner with no overlap would hold the journey until the window closes.
    timeout_days: int = Field(gt=0, le=90)
    on_timeout: Literal["skip", "escalate", "exit"]


class Step(Strict):
    key: KEY
    kind: StepKind
    title: str = Field(min_length=1)
    due_days: int = Field(gt=0, le=90)
    instructions: str = ""
    reminders: Cadence | None = None
    fields: tuple[FormField, ...] = ()
    signals: dict[ReadinessSignal, int] = Field(default_factory=dict)
    email: EmailCopy
    when: str | None = Field(default=None, min_length=1)  # a CEL condition (playbooks.conditions)
    wait: Wait | None = None  # wait_for_event steps only
    unlock: Unlock | None = None  # the step opens only once this holds (`unlock: overlap` is the short form)
    experiment: Experiment | None = None  # variants of the step's content (playbooks.experiments)
    # The partner may revise a completed answer from the step's page until its due date (steps whose kind
    # has no completion effect and no page of its own: a revision replaces answers, it cannot undo a deal).
    revisable: bool = False

    @model_validator(mode="before")
    @classmethod
    def _wait_defaults(cls, data: object) -> object:
        """A wait asks nothing of the partner: it is due when it times out and emails nobody."""
        if isinstance(data, dict) and isinstance(data.get("unlock"), str):
            data = {**data, "unlock": {"by": data["unlock"]}}  # then a missing timeout is reported at unlock
        waits = isinstance(data, dict) and data.get("kind") == StepKind.wait_for_event
        if isinstance(data, dict) and waits and isinstance(data.get("wait"), dict):
            timeout, title = data["wait"].get("timeout_days"), data.get("title") or "wait"
            if "due_days" not in data:  # a missing or bad timeout is reported at wait.timeout_days alone
                data = {**data, "due_days": timeout if isinstance(timeout, int) and 0 < timeout <= 90 else 1}
            if "email" not in data:
                data = {**data, "email": {"subject": title, "intro": title}}
        return data

    @field_validator("revisable")
    @classmethod
    def _revisable_kind(cls, revisable: bool, info: ValidationInfo) -> bool:
        kind = info.data.get("kind")
        if revisable and kind is not None and not kinds.KINDS[kind].revisable:
            raise ValueError(
                f"a {kind.value} step cannot be revisable: only a step whose answers are all it does "
                "(form, acknowledge, meeting) may be revised by the partner"
            )
        return revisable

    @model_validator(mode="after")
    def _consistent(self) -> Step:
        keys = [f.key for f in self.fields]
        if len(set(keys)) != len(keys):
            raise ValueError(f"field keys must be unique in step {self.key}")
        if self.wait is not None and self.kind != StepKind.wait_for_event:
            raise ValueError(f"only a wait_for_event step may say `wait:`, not a {self.kind.value} step")
        if self.unlock is not None and self.kind == StepKind.wait_for_event:
            raise ValueError("a wait_for_event step waits already: `unlock:` is for steps the partner works")
        check = kinds.KINDS[self.kind].check
        if check is not None:
            check(self)
        experiments.check_step(self)
        for signal, points in self.signals.items():
            if not 0 < points <= 100:
                raise ValueError(f"signal {signal.value} points must be between 1 and 100")
        return self


class AppliesTo(Strict):
    """Empty lists mean 'every'."""

    partner_types: tuple[PartnerType, ...] = ()
    verticals: tuple[str, ...] = ()
    tiers: tuple[Literal[1, 2, 3], ...] = ()


class LibraryPin(Strict):
    """The library play (playbooks/library/<play>/v<version>) a play was resolved from, and with what."""

    play: KEY
    version: int = Field(ge=1, le=MAX_VERSION)
    parameters: dict[str, str | int | float] = Field(default_factory=dict)

    def __str__(self) -> str:
        given = ", ".join(f"{k}={v}" for k, v in sorted(self.parameters.items()))
        return f"{self.play}@{self.version}" + (f" ({given})" if given else "")


class Seller(Strict):
    """The play's moment in a live sales call, as the vendor's AE reads it on the seller page: when to bring
    the partner in, the buyer's problem the partner solves then, and a line the AE can say."""

    bring_in_when: str = Field(min_length=1, max_length=400)
    problem: str = Field(min_length=1, max_length=400)
    say: str = Field(min_length=1, max_length=400)


class Play(Strict):
    key: KEY
    title: str = Field(min_length=1)
    sales_moment: Literal["positioning", "prospecting", "discovery", "objections", "deal", "expansion"]
    summary: str = Field(min_length=1)
    content: str = ""
    content_file: str | None = None
    applies_to: AppliesTo = AppliesTo()
    when: str | None = Field(default=None, min_length=1)  # checked before each of the play's steps
    # All steps open at once, each with its own due date and reminders, done in any order; the play is
    # complete when `complete_when` of them (default: all) are done.
    parallel: bool = False
    complete_when: int | None = Field(default=None, gt=0)
    experiment: Experiment | None = None  # variants that pick which of the play's steps a partner gets
    steps: tuple[Step, ...] = Field(min_length=1)
    library: LibraryPin | None = None  # set by the loader (playbooks.play_library), never written by hand
    seller: Seller | None = None  # a play with a sales moment an AE can bring the partner into

    @model_validator(mode="after")
    def _parallel_steps(self) -> Play:
        if self.complete_when is not None and not self.parallel:
            raise ValueError("`complete_when` counts the steps of a parallel play: add `parallel: true`")
        if self.complete_when is not None and self.complete_when > len(self.steps):
            raise ValueError(f"`complete_when: {self.complete_when}` but the play has {len(self.steps)} steps")
        if self.parallel:
            for step in self.steps:
                if step.kind == StepKind.wait_for_event or step.unlock or step.when:
                    raise ValueError(
                        f"step {step.key}: a parallel play opens its steps at once, so they cannot wait, "
                        "be unlocked or have their own `when:` (put the condition on the play)"
                    )
        experiments.check_play(self)
        return self


# What a gate may require beside readiness points: the partner's scores (domain/intel, 0-100 each).
GateSignal = Literal["gtm_readiness", "proven_capability", "early_traction", "field_advocacy", "behavior"]


class Gate(Strict):
    """Exit gate: what a partner needs to advance without a PM decision. Readiness points always;
    optionally minimum signal scores and a number of AEs who would invite the partner again."""

    min_readiness: int = Field(default=0, ge=0, le=100)
    min_signals: dict[GateSignal, Annotated[int, Field(ge=0, le=100)]] = Field(default_factory=dict)
    min_advocates: int = Field(default=0, ge=0, le=100)
    on_fail: Literal["hold", "exit"] = "hold"

    @property
    def requires_signals(self) -> bool:
        return bool(self.min_signals) or self.min_advocates > 0


class Stage(Strict):
    key: StageKey
    title: str = Field(min_length=1)
    duration_days: int = Field(gt=0, le=365)
    goal: str = ""
    gate: Gate = Gate()
    plays: tuple[Play, ...] = Field(min_length=1)


class Playbook(Strict):
    id: KEY
    version: int = Field(ge=1, le=MAX_VERSION)
    title: str = Field(min_length=1)
    summary: str = ""
    audience: str = ""
    quiet_hours: QuietHours = QuietHours()
    reminders: Cadence = Cadence()
    stall_threshold_days: int = Field(default=7, gt=0)
    stages: tuple[Stage, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _structure(self) -> Playbook:
        order = [s.key for s in self.stages]
        if order != sorted(order, key=list(StageKey).index) or len(set(order)) != len(order):
            raise ValueError("stages must be unique and in the order awareness, activation, acceleration")
        seen: set[str] = set()
        for stage in self.stages:
            for play in stage.plays:
                for step in play.steps:
                    if step.key in seen:
                        raise ValueError(f"step key {step.key!r} is used twice; step keys are unique per playbook")
                    seen.add(step.key)
        experiments.check_playbook(self)
        return self

    @property
    def total_days(self) -> int:
        return sum(s.duration_days for s in self.stages)

    def step(self, key: str) -> Step:
        for _, _, step in self.iter_steps():
            if step.key == key:
                return step
        raise KeyError(key)

    def play_of(self, step_key: str) -> Play:
        for _, play, step in self.iter_steps():
            if step.key == step_key:
                return play
        raise KeyError(step_key)

    def iter_steps(self) -> list[tuple[Stage, Play, Step]]:
        return [(st, pl, sp) for st in self.stages for pl in st.plays for sp in pl.steps]


class PlaybookRef(BaseModel):
    """What a journey carries instead of the whole document (small histories)."""

    model_config = ConfigDict(frozen=True)

    playbook_id: str
    version: int
    sha256: str


# Last, because every kind module imports this one; a step's kind-specific rules live in its kind module
# (playbooks.kinds), which a Step validates against when it is built.
from playbooks import kinds  # noqa: E402
