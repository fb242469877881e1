"""Load playbook YAML into the typed model; every problem names file, line and document path."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from playbooks.conditions import ConditionError, check, conditions_of, fact_shape
from playbooks.model import Playbook, PlaybookRef

CONTENT_DIR = Path(__file__).parent / "content"


@dataclass(frozen=True)
class PlaybookIssue:
    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class PlaybookError(Exception):
    def __init__(self, issues: list[PlaybookIssue]):
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


def format_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def node_at(node: yaml.Node, loc: tuple[int | str, ...]) -> yaml.Node:
    """Walk the composed YAML tree along a pydantic error location; stop where the path leaves it."""
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == str(part)), None)
            if match is None:
                return node
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            return node
    return node


def _duplicate_keys(file: str, node: yaml.Node, loc: tuple[int | str, ...], seen: set[int]) -> list[PlaybookIssue]:
    """YAML keeps the last of two equal keys without a word; in a playbook that hides an edit."""
    if id(node) in seen:  # an alias of a node already walked
        return []
    seen.add(id(node))
    issues: list[PlaybookIssue] = []
    if isinstance(node, yaml.MappingNode):
        first: dict[str, int] = {}
        for key, value in node.value:
            name, line = str(key.value), key.start_mark.line + 1
            if name in first and name != "<<":
                message = f"duplicate key {name!r} (first on line {first[name]}); remove one of them"
                issues.append(PlaybookIssue(file, line, format_path((*loc, name)), message))
            first.setdefault(name, line)
            issues += _duplicate_keys(file, value, (*loc, name), seen)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            issues += _duplicate_keys(file, item, (*loc, index), seen)
    return issues


def _yaml_path(directory: Path) -> Path:
    return directory / "playbook.yaml" if directory.is_dir() else directory


_MISSING: dict[tuple[int | str, ...], str] = {
    ("unlock", "timeout_days"): "an unlock needs `timeout_days`: how long to wait for it before `on_timeout`",
    ("unlock", "on_timeout"): "an unlock needs `on_timeout` (skip, escalate or exit): what happens if it never comes",
    ("wait", "timeout_days"): "a wait needs `timeout_days`: how long to wait before `on_timeout`",
    ("seller", "bring_in_when"): "a seller block needs `bring_in_when`: the moment in the call to bring the partner in",
    ("seller", "problem"): "a seller block needs `problem`: the buyer's problem the partner solves at that moment",
    ("seller", "say"): "a seller block needs `say`: a line the AE can say to bring the partner in",
}


def load_playbook(path: str | Path) -> Playbook:
    file = _yaml_path(Path(path))
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PlaybookError([PlaybookIssue(str(file), None, "", f"cannot read file: {exc}")]) from exc
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise PlaybookError([PlaybookIssue(str(file), line, "", f"invalid YAML: {exc}")]) from exc
    if root is None or not isinstance(data, dict):
        raise PlaybookError([PlaybookIssue(str(file), 1, "", "a playbook must be a YAML mapping")])
    if duplicates := _duplicate_keys(str(file), root, (), set()):
        raise PlaybookError(duplicates)
    data = play_library.resolve(file, root, _inline_content_files(file.parent, root, data))
    try:
        playbook = Playbook.model_validate(data)
    except ValidationError as exc:
        issues = []
        errors = exc.errors()
        for err in errors:
            loc = tuple(err["loc"])
            if err["type"] == "too_short" and any(tuple(o["loc"])[: len(loc)] == loc and o is not err for o in errors):
                continue  # a cascade of an invalid item below it, not a problem of its own
            node = node_at(root, loc)
            message = _MISSING.get(loc[-2:], err["msg"]) if err["type"] == "missing" else err["msg"]
            message = message.removeprefix("Value error, ")
            issues.append(PlaybookIssue(str(file), node.start_mark.line + 1, format_path(loc), message))
        raise PlaybookError(issues) from exc
    if problems := _condition_issues(str(file), root, playbook):
        raise PlaybookError(problems)
    return playbook


def _condition_issues(file: str, root: yaml.Node, playbook: Playbook) -> list[PlaybookIssue]:
    issues = []
    for loc, expression, step in conditions_of(playbook):
        try:
            check(expression, fact_shape(playbook, step.key))
        except ConditionError as exc:
            issues.append(PlaybookIssue(file, node_at(root, loc).start_mark.line + 1, format_path(loc), str(exc)))
    return issues


def _inline_content_files(base: Path, root: yaml.Node, data: dict) -> dict:
    """Replace each play's content_file with the Markdown it names, so the snapshot is self-contained."""
    issues = []
    for si, stage in enumerate(data.get("stages") or []):
        for pi, play in enumerate((stage or {}).get("plays") or [] if isinstance(stage, dict) else []):
            if not isinstance(play, dict) or not play.get("content_file"):
                continue
            loc: tuple[int | str, ...] = ("stages", si, "plays", pi, "content_file")
            target = (base / str(play["content_file"])).resolve()
            if base.resolve() not in target.parents:
                message = "must name a file inside the playbook folder"
            elif not target.is_file():
                message = f"file not found: {play['content_file']}"
            else:
                try:
                    play["content"] = target.read_text(encoding="utf-8")
                    continue
                except UnicodeDecodeError as exc:
                    message = (
                        f"{play['content_file']} is not UTF-8 (byte 0x{exc.object[exc.start : exc.start + 1].hex()} "
                        f"at offset {exc.start}); save it as UTF-8"
                    )
                except OSError as exc:
                    message = f"cannot read {play['content_file']}: {exc.strerror}"
            line = node_at(root, loc).start_mark.line + 1
            issues.append(PlaybookIssue(str(base / "playbook.yaml"), line, format_path(loc), message))
    if issues:
        raise PlaybookError(issues)
    return data


# Fields added after snapshots were published, at their "absent" value: left out of the hash.
_ABSENT: dict[str, Any] = {"when": None, "wait": None, "min_signals": {}, "min_advocates": 0, "unlock": None}
_ABSENT |= {"parallel": False, "complete_when": None, "experiment": None, "seller": None, "revisable": False}


# Where a play came from is recorded in the snapshot but not hashed: the hash is what partners get, so a
# shipped version whose plays moved into the library keeps its published sha.
_UNHASHED = {"library"}


def _without_absent_conditions(node: Any) -> Any:
    """A playbook without conditions or signal gates hashes as it did before they existed (published
    snapshots keep their sha)."""
    if isinstance(node, dict):
        return {
            k: _without_absent_conditions(v)
            for k, v in node.items()
            if k not in _UNHASHED and not (k in _ABSENT and v == _ABSENT[k])
        }
    if isinstance(node, list):
        return [_without_absent_conditions(v) for v in node]
    return node


def canonical_json(playbook: Playbook) -> str:
    document = _without_absent_conditions(playbook.model_dump(mode="json"))
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


def reference(playbook: Playbook) -> PlaybookRef:
    digest = hashlib.sha256(canonical_json(playbook).encode()).hexdigest()
    return PlaybookRef(playbook_id=playbook.id, version=playbook.version, sha256=digest)


def shipped_playbooks() -> list[Playbook]:
    return [load_playbook(d) for d in sorted(CONTENT_DIR.iterdir()) if (d / "playbook.yaml").is_file()]


# Last: the library resolves references with this module's issues and YAML helpers.
from playbooks import play_library  # noqa: E402
