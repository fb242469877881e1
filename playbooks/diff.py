"""What changed between two versions of a playbook, by structure: stages, plays and steps matched by key
(a step's key is unique in a playbook, a play's within its stage), and for each one kept, which of its
settings changed from what to what. A PM reads what a migration would change, not a text diff."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from playbooks.model import Play, Playbook, Stage, Step

# Settings whose names a PM would not guess: what the page calls them.
LABELS = {
    "when": "condition",
    "due_days": "due in (days)",
    "duration_days": "duration (days)",
    "wait": "waits for",
    "reminders": "reminders",
    "gate": "exit gate",
    "email": "email",
    "fields": "form fields",
    "signals": "readiness points",
    "applies_to": "applies to",
    "content": "play content",
    "seller": "seller page",
    "quiet_hours": "quiet hours",
    "stall_threshold_days": "stalled after (days)",
    "library": "library play",
}
CHILDREN = {"stages", "plays", "steps", "content_file"}  # compared as their own items, or only a file name


@dataclass(frozen=True)
class Setting:
    name: str
    label: str
    before: Any
    after: Any


@dataclass(frozen=True)
class Change:
    what: str  # playbook | stage | play | step
    key: str
    title: str
    change: str  # added | removed | changed | moved
    where: str = ""  # the stage (of a play) or the play (of a step) it is in, in the newer version
    settings: tuple[Setting, ...] = ()
    before_where: str = ""  # moved: where it was


def _settings(old: BaseModel, new: BaseModel) -> tuple[Setting, ...]:
    a, b = old.model_dump(mode="json"), new.model_dump(mode="json")
    for dump, model in ((a, old), (b, new)):  # a library pin reads as play@version (parameters)
        if getattr(model, "library", None) is not None:
            dump["library"] = str(model.library)  # type: ignore[attr-defined]
    names = [n for n in type(new).model_fields if n not in CHILDREN and n != "version"]
    return tuple(
        Setting(n, LABELS.get(n, n.replace("_", " ")), a.get(n), b.get(n)) for n in names if a.get(n) != b.get(n)
    )


def _plays(pb: Playbook) -> dict[tuple[str, str], tuple[Stage, Play]]:
    return {(s.key.value, p.key): (s, p) for s in pb.stages for p in s.plays}


def _steps(pb: Playbook) -> dict[str, tuple[Stage, Play, Step]]:
    return {step.key: (stage, play, step) for stage, play, step in pb.iter_steps()}


def _matched(what: str, old: dict[Any, Any], new: dict[Any, Any], item: Any, where: Any) -> list[Change]:
    """Added, removed, changed (and moved) items of one level, in the newer version's order, removed last."""
    out: list[Change] = []
    for key, found in new.items():
        shown = key[-1] if isinstance(key, tuple) else key
        obj = item(found)
        if key not in old:
            out.append(Change(what, shown, obj.title, "added", where(found)[1]))
            continue
        settings, before, after = _settings(item(old[key]), obj), where(old[key]), where(found)
        if before[0] != after[0]:  # by key: a renamed stage or play moves nothing
            out.append(Change(what, shown, obj.title, "moved", after[1], settings, before[1]))
        elif settings:
            out.append(Change(what, shown, obj.title, "changed", after[1], settings))
    for key, gone in old.items():
        if key not in new:
            shown = key[-1] if isinstance(key, tuple) else key
            out.append(Change(what, shown, item(gone).title, "removed", where(gone)[1]))
    return out


def compare(old: Playbook, new: Playbook) -> list[Change]:
    """Every difference from `old` to `new`: the playbook's own settings, then stages, plays, steps."""
    changes: list[Change] = []
    if top := _settings(old, new):
        changes.append(Change("playbook", new.id, new.title, "changed", "", top))
    changes += _matched(
        "stage",
        {s.key.value: s for s in old.stages},
        {s.key.value: s for s in new.stages},
        lambda s: s,
        lambda s: ("", ""),
    )
    changes += _matched("play", _plays(old), _plays(new), lambda f: f[1], lambda f: (f[0].key.value, f[0].title))
    changes += _matched("step", _steps(old), _steps(new), lambda f: f[2], lambda f: (f[1].key, f[1].title))
    return changes
