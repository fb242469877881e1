"""The tier rubric file: typed, validated on load like a playbook, every error as file:line: path: message."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from playbooks.loader import PlaybookIssue, format_path, node_at

RUBRICS_DIR = Path(__file__).resolve().parent.parent / "rubrics"
DEFAULT_RUBRIC = RUBRICS_DIR / "default-v1.yaml"
Signal = Literal["gtm_readiness", "proven_capability", "early_traction", "field_advocacy", "behavior"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Criterion(Strict):
    signal: Signal
    min: int = Field(ge=0, le=100)


class TierRule(Strict):
    tier: Literal[1, 2]
    name: str = Field(min_length=1)
    summary: str = ""
    investment: str = ""
    criteria: tuple[Criterion, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_per_signal(self) -> TierRule:
        signals = [c.signal for c in self.criteria]
        if len(set(signals)) != len(signals):
            raise ValueError("each signal may appear once per tier")
        return self


class Baseline(Strict):
    tier: Literal[3] = 3
    name: str = "Baseline"
    summary: str = ""
    investment: str = ""


class Hysteresis(Strict):
    demotion_margin: int = Field(default=10, ge=0, le=100)
    reviews_to_demote: int = Field(default=2, ge=1, le=12)


class Rubric(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")
    version: int = Field(ge=1)
    title: str = Field(min_length=1)
    tiers: tuple[TierRule, ...] = Field(min_length=2, max_length=2)
    baseline: Baseline = Baseline()
    hysteresis: Hysteresis = Hysteresis()

    @model_validator(mode="after")
    def _ordered(self) -> Rubric:
        if sorted(t.tier for t in self.tiers) != [1, 2]:
            raise ValueError("tiers must define tier 1 and tier 2 once each")
        one, two = self.rule(1), self.rule(2)
        for c in two.criteria:
            stricter = next((d for d in one.criteria if d.signal == c.signal), None)
            if stricter is not None and stricter.min < c.min:
                raise ValueError(f"tier 1 asks less {c.signal} ({stricter.min}) than tier 2 ({c.min})")
        return self

    def rule(self, tier: int) -> TierRule:
        return next(t for t in self.tiers if t.tier == tier)

    def name(self, tier: int) -> str:
        return self.baseline.name if tier == 3 else self.rule(tier).name


class RubricError(Exception):
    def __init__(self, issues: list[PlaybookIssue]):
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


def _issues(file: Path, root: yaml.Node, exc: ValidationError) -> list[PlaybookIssue]:
    issues = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        message = err["msg"].removeprefix("Value error, ")
        issues.append(PlaybookIssue(str(file), node_at(root, loc).start_mark.line + 1, format_path(loc), message))
    return issues


def load_rubric(path: str | Path) -> Rubric:
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RubricError([PlaybookIssue(str(file), None, "", f"cannot read file: {exc}")]) from exc
    return parse_rubric(text, str(file))


def parse_rubric(text: str, source: str) -> Rubric:
    """A rubric from its YAML text (a file's, or a program's override); every error names source:line."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise RubricError([PlaybookIssue(source, mark.line + 1 if mark else None, "", f"invalid YAML: {exc}")]) from exc
    if root is None or not isinstance(data, dict):
        raise RubricError([PlaybookIssue(source, 1, "", "a rubric must be a YAML mapping")])
    try:
        return Rubric.model_validate(data)
    except ValidationError as exc:
        raise RubricError(_issues(Path(source), root, exc)) from exc


@cache
def program_rubric(text: str | None) -> Rubric:
    """A program's rubric: its override (validated when the PM stored it), else the default."""
    return parse_rubric(text, "program rubric") if text else default_rubric()


@cache
def default_rubric() -> Rubric:
    return load_rubric(DEFAULT_RUBRIC)
