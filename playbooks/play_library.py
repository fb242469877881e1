"""The play library: plays written once, in playbooks/library/<play>/v<N>/play.yaml (with its content file
beside it), each version frozen once a playbook pins it. A playbook uses one by id, exact version and
parameters (`library: {play: ..., version: N, parameters: {...}}` in place of a play). References are
resolved when the playbook loads, so the published snapshot holds the play itself plus the pin it came from
and journeys never read the library."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from jinja2 import StrictUndefined, TemplateError, meta
from jinja2.sandbox import SandboxedEnvironment
from pydantic import ValidationError

from playbooks.loader import _MISSING, PlaybookError, PlaybookIssue, _duplicate_keys, format_path, node_at
from playbooks.model import Play

LIBRARY_DIR = Path(__file__).parent / "library"
# Sandboxed: a parameter or a library file can reach no Python attribute; strict: nothing renders as "".
_ENV = SandboxedEnvironment(undefined=StrictUndefined, keep_trailing_newline=True, autoescape=False)
_MARKS = ("{{", "{%", "{#")
_WHOLE = re.compile(r"^\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$")  # a value that is one placeholder keeps its type
Param = str | int | float
Loc = tuple[int | str, ...]


def _scalar(value: object) -> bool:
    return isinstance(value, Param) and not isinstance(value, bool)


def resolve(file: Path, root: yaml.Node, data: dict) -> dict:
    """Replace every library reference among the playbook's plays with the play it pins."""
    issues: list[PlaybookIssue] = []
    library = LIBRARY_DIR  # read at each call: a test points it at a library of its own
    for si, stage in enumerate(data.get("stages") or []):
        plays = stage.get("plays") if isinstance(stage, dict) else None
        if not isinstance(plays, list):
            continue  # the model reports it
        for pi, play in enumerate(plays):
            if isinstance(play, dict) and "library" in play:
                try:
                    plays[pi] = _Reference(file, root, ("stages", si, "plays", pi), library).resolved(play)
                except PlaybookError as exc:
                    issues += exc.issues
    if issues:
        raise PlaybookError(issues)
    return data


class _Reference:
    def __init__(self, file: Path, root: yaml.Node, loc: Loc, library: Path):
        self.file, self.root, self.loc, self.library = file, root, loc, library

    def refuse(self, at: Loc, message: str) -> PlaybookError:
        line = node_at(self.root, self.loc + at).start_mark.line + 1
        return PlaybookError([PlaybookIssue(str(self.file), line, format_path(self.loc + at), message)])

    def resolved(self, play: dict) -> dict:
        pin = play["library"]
        if extra := sorted(set(play) - {"library"}):
            raise self.refuse((extra[0],), "a library play is used as written: give only `library:`")
        if not isinstance(pin, dict) or set(pin) - {"play", "version", "parameters"}:
            raise self.refuse(("library",), "write `library: {play: <id>, version: <N>, parameters: {...}}`")
        play_id, version = pin.get("play"), pin.get("version")
        plays = sorted(p.name for p in self.library.iterdir() if p.is_dir()) if self.library.is_dir() else []
        if not isinstance(play_id, str) or play_id not in plays:  # names read from the folder: no path tricks
            raise self.refuse(("library", "play"), f"no library play {play_id!r}; the library has {', '.join(plays)}")
        found = (self.library / play_id).glob("v*/play.yaml")
        versions = sorted(int(f.parent.name[1:]) for f in found if f.parent.name[1:].isdigit())
        if isinstance(version, bool) or version not in versions:
            have = ", ".join(str(v) for v in versions)
            raise self.refuse(
                ("library", "version"), f"library play {play_id} has no version {version!r} (it has {have})"
            )
        params = pin.get("parameters") or {}
        if not isinstance(params, dict) or not all(_scalar(v) for v in params.values()):
            raise self.refuse(("library", "parameters"), "parameters are a mapping of name: text or number")
        body = _LibraryPlay(self.library / play_id / f"v{version}", play_id, version).render(params, self)
        return {**body, "library": {"play": play_id, "version": version, "parameters": params}}


class _LibraryPlay:
    def __init__(self, folder: Path, play_id: str, version: int):
        self.folder, self.play_id, self.version = folder, play_id, version
        self.file = folder / "play.yaml"
        text = self.file.read_text(encoding="utf-8")
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
            self.data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise self.refuse(None if mark is None else mark.line + 1, (), f"invalid YAML: {exc}") from exc
        if root is None or not isinstance(self.data, dict):
            raise self.refuse(1, (), "a library play must be a YAML mapping")
        self.root: yaml.Node = root
        if duplicates := _duplicate_keys(str(self.file), self.root, (), set()):
            raise PlaybookError(duplicates)

    def refuse(self, line: int | None, loc: Loc, message: str, file: Path | None = None) -> PlaybookError:
        return PlaybookError([PlaybookIssue(str(file or self.file), line, format_path(loc), message)])

    def line(self, loc: Loc) -> int:
        return node_at(self.root, loc).start_mark.line + 1

    def render(self, params: dict[str, Param], ref: _Reference) -> dict:
        data = dict(self.data)
        declared = data.pop("parameters", None) or {}
        if data.pop("version", None) != self.version:
            raise self.refuse(self.line(("version",)), ("version",), f"must say `version: {self.version}`, its folder")
        if "key" in data:
            raise self.refuse(self.line(("key",)), ("key",), "a library play's key is its folder name; remove `key:`")
        if not isinstance(declared, dict):
            raise self.refuse(self.line(("parameters",)), ("parameters",), "write `parameters: {name: what it is}`")
        where = f"library play {self.play_id}@{self.version}"
        if unknown := sorted(set(params) - set(declared)):
            known = ", ".join(declared) or "none"
            raise ref.refuse(
                ("library", "parameters", unknown[0]), f"{where} has no parameter {unknown[0]!r} ({known})"
            )
        if missing := [name for name in declared if name not in params]:
            needs = "; ".join(f"{name} ({declared[name]})" for name in missing)
            raise ref.refuse(("library", "parameters"), f"{where} needs parameters: {needs}")
        self.params, self.declared, self.used = params, set(declared), set[str]()
        body = self._substituted(data, ())
        if content_file := body.get("content_file"):
            body["content"] = self._content(str(content_file))
        if unused := [name for name in declared if name not in self.used]:
            raise self.refuse(self.line(("parameters",)), ("parameters", unused[0]), "declared but never used")
        self._validated({**body, "key": self.play_id})
        return {"key": self.play_id, **body}

    def _substituted(self, node: Any, loc: Loc) -> Any:
        if isinstance(node, dict):
            return {k: self._substituted(v, (*loc, k)) for k, v in node.items()}
        if isinstance(node, list):
            return [self._substituted(v, (*loc, i)) for i, v in enumerate(node)]
        if isinstance(node, str) and any(mark in node for mark in _MARKS):
            return self._template(node, lambda _: self.line(loc), loc, self.file)
        return node

    def _content(self, name: str) -> str:
        target = (self.folder / name).resolve()
        at = ("content_file",)
        if self.folder.resolve() not in target.parents or not target.is_file():
            raise self.refuse(self.line(at), at, f"file not found inside {self.folder.name}/: {name}")
        text = target.read_text(encoding="utf-8")
        if not any(mark in text for mark in _MARKS):
            return text
        return str(self._template(text, lambda n: n, (), target))

    def _template(self, text: str, line: Callable[[int], int], loc: Loc, file: Path) -> Param:
        """`line` turns a line of the text into a line of its file (a YAML string: the string's own line)."""
        try:
            names = meta.find_undeclared_variables(_ENV.parse(text))
            if undeclared := sorted(names - self.declared):
                first = next((i for i, ln in enumerate(text.splitlines(), 1) if undeclared[0] in ln), 1)
                message = f"placeholder {undeclared[0]!r} is not declared under `parameters:`"
                raise self.refuse(line(first), loc, message, file)
            self.used |= names
            if whole := _WHOLE.match(text):
                return self.params[whole.group(1)]
            return _ENV.from_string(text).render(self.params)
        except TemplateError as exc:
            raise self.refuse(line(getattr(exc, "lineno", None) or 1), loc, f"template: {exc}", file) from exc

    def _validated(self, body: dict) -> None:
        """A library play's own mistakes are reported in its file, not at every playbook that pins it."""
        try:
            Play.model_validate(body)
        except ValidationError as exc:
            errors = [(tuple(e["loc"]), e) for e in exc.errors()]
            issues = [
                PlaybookIssue(str(self.file), self.line(loc), format_path(loc), _message(loc, e))
                for loc, e in errors  # a too-short list because an item below it is invalid is no problem of its own
                if not (e["type"] == "too_short" and any(o[: len(loc)] == loc and o != loc for o, _ in errors))
            ]
            raise PlaybookError(issues) from exc


def _message(loc: Loc, error: Any) -> str:
    """As the loader says it for a playbook's own play (what a missing setting is for, not "Field required")."""
    message = _MISSING.get(loc[-2:], error["msg"]) if error["type"] == "missing" else error["msg"]
    return str(message).removeprefix("Value error, ")
