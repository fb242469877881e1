"""Conditions (`when:`) on plays and steps, in the Common Expression Language (cel-python), never eval.

The facts a condition may read are declared here; the loader checks every expression against them
(syntax, known facts, earlier steps' fields, a boolean result on typed sample values), so a typo is a
file:line error at load. At run time an activity reads the facts, evaluates, and records both in history.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import celpy
from celpy import celtypes
from lark import Tree

from playbooks.model import Playbook, Step

# Fact -> attribute -> a sample value of its declared type (what a load-time trial evaluation uses).
PARTNER_FACTS: dict[str, Any] = {
    "type": "ISV",
    "verticals": ["Healthcare"],
    "region": "",
    "tier": 3,
    "country": "",
    "classification": "",  # on_track | not_yet | at_risk | not_now, as the last tier review stored it
}
OVERLAP_FACTS: dict[str, Any] = {"count": 0, "segments": ["Enterprise"]}  # segments of the accounts shared
# The partner's co-sell deals (any program): how many were registered, accepted by our field, won.
DEAL_FACTS: dict[str, Any] = {"registered": 0, "accepted": 0, "won": 0}
# Scored from the partner's recorded facts when the condition is evaluated (0-100 each).
SIGNAL_FACTS: dict[str, Any] = dict.fromkeys(
    ("gtm_readiness", "proven_capability", "early_traction", "field_advocacy", "behavior", "trust"), 0
)
ROOTS = ("partner", "answers", "overlap", "deals", "signals")
SCORED = ("deals", "signals")  # facts that need the partner's whole record, read only when a condition uses them
MACROS = ("all", "exists", "exists_one", "map", "filter")
# A sample answer per form field type, so `answers.icp.company_size > 100` type-checks as a number.
SAMPLE_ANSWER: dict[str, Any] = {"number": 0.0, "multi_select": []}

_ENV = celpy.Environment()
_OPS = {"relation_eq": "==", "relation_ne": "!=", "relation_lt": "<", "relation_le": "<=", "relation_gt": ">"}
_OPS |= {"relation_ge": ">=", "relation_in": "in", "addition_add": "+", "addition_sub": "-"}


class Untyped(dict[str, Any]):
    """Answers of a step without declared form fields (acknowledge, upload): what it holds is the kind's."""


class ConditionError(ValueError):
    pass


def _compile(expression: str) -> Tree:
    try:
        return _ENV.compile(expression)
    except celpy.CELParseError as exc:
        raise ConditionError(f"not a valid CEL expression: {str(exc).strip()}") from exc


def _ident(node: Tree) -> str | None:
    """The identifier a `member` node is, if it is a bare one."""
    while isinstance(node, Tree) and node.data in ("member", "primary") and len(node.children) == 1:
        node = node.children[0]
    if isinstance(node, Tree) and node.data == "ident":
        return str(node.children[0])
    return None


def _dotted(node: Tree) -> list[str] | None:
    """`partner.type` -> ["partner", "type"]; None when the chain does not start at an identifier."""
    if node.data == "member_dot":
        inner, field = node.children
        head = _dotted(inner.children[0]) if isinstance(inner, Tree) and len(inner.children) == 1 else None
        if head is None and isinstance(inner, Tree):
            name = _ident(inner)
            head = [name] if name else None
        return [*head, str(field)] if head else None
    return None


def _bound_names(tree: Tree) -> set[str]:
    """Variables a macro binds, as `v` in partner.verticals.exists(v, v == "Retail")."""
    names = set()
    for node in tree.iter_subtrees():
        if node.data == "member_dot_arg" and str(node.children[1]) in MACROS and len(node.children) > 2:
            first = next(iter(node.children[2].children), None) if isinstance(node.children[2], Tree) else None
            name = _first_ident(first) if isinstance(first, Tree) else None
            if name:
                names.add(name)
    return names


def _first_ident(node: Tree) -> str | None:
    for sub in node.iter_subtrees_topdown():
        if sub.data == "ident":
            return str(sub.children[0])
    return None


def _references(tree: Tree) -> Iterator[list[str]]:
    """Every fact path the expression reads: the longest dotted chain at each place, and bare names."""
    inside: set[int] = set()
    for node in tree.iter_subtrees_topdown():
        if id(node) in inside:
            continue
        if node.data == "member_dot" and (path := _dotted(node)):
            inside.update(id(sub) for sub in node.iter_subtrees())
            yield path
        elif node.data == "ident":
            yield [str(node.children[0])]


def fact_shape(playbook: Playbook, before: str) -> dict[str, Any]:
    """The facts visible to a condition on step `before` (or its play): answers of the steps ahead of it."""
    answers: dict[str, Any] = {}
    for _, _, step in playbook.iter_steps():
        if step.key == before:
            break
        fields = {f.key: SAMPLE_ANSWER.get(f.type, "") for f in step.fields}
        answers[step.key] = fields if fields else Untyped()
    return {
        "partner": PARTNER_FACTS,
        "overlap": OVERLAP_FACTS,
        "answers": answers,
        "deals": DEAL_FACTS,
        "signals": SIGNAL_FACTS,
    }


def roots_read(expressions: list[str]) -> set[str]:
    """The top-level facts (partner, deals, ...) the expressions read."""
    return {path[0] for e in expressions for path in _references(_compile(e)) if path[0] in ROOTS}


def _unknown(path: list[str], shape: dict[str, Any], bound: set[str]) -> str | None:
    if path[0] in bound:
        return None
    if path[0] not in shape:
        return f"unknown fact {path[0]!r}; a condition can read {', '.join(ROOTS)}"
    node: Any = shape
    for depth, part in enumerate(path):
        if not isinstance(node, dict) or isinstance(node, Untyped):
            return None  # a field of a value, or of an untyped answer, is CEL's business at run time
        if part not in node:
            where = ".".join(path[:depth])
            if where == "answers":
                return f"answers.{part}: no step {part!r} before this one (answers are of earlier steps)"
            known = ", ".join(sorted(node)) or "none"
            return f"unknown fact {where}.{part}; {where} has {known}"
        node = node[part]
    return None


def check(expression: str, shape: dict[str, Any]) -> None:
    """Refuse what would be a surprise at run time: bad syntax, unknown facts, a non-boolean result."""
    tree = _compile(expression)
    bound = _bound_names(tree)
    paths = list(_references(tree))
    for path in paths:
        if problem := _unknown(path, shape, bound):
            raise ConditionError(problem)
    if any(p[0] == "answers" and len(p) > 1 and isinstance(shape["answers"].get(p[1]), Untyped) for p in paths):
        return  # no sample for an untyped answer: its type is checked when the journey evaluates it
    try:
        result = evaluate_compiled(tree, shape)
    except celpy.CELEvalError as exc:
        raise ConditionError(f"does not type-check against the facts: {_readable(exc)}") from exc
    if not isinstance(result, bool):
        raise ConditionError("must be true or false (a comparison), not a value")
    if result is False and all(p[0] in bound for p in paths):
        raise ConditionError("is always false, whatever the facts: what it guards is unreachable")


def _readable(exc: celpy.CELEvalError) -> str:
    text = str(exc.args[0]) if exc.args else str(exc)
    text = re.sub(r"Token\('RULE', '(\w+)'\)", lambda m: _OPS.get(m[1], m[1]), text)
    return re.sub(r"<class 'celpy\.celtypes\.(\w+)Type'>", lambda m: m[1].lower(), text)


def evaluate_compiled(tree: Tree, facts: dict[str, Any]) -> object:
    activation = {name: celpy.json_to_cel(value) for name, value in facts.items()}
    result = _ENV.program(tree).evaluate(activation)
    if isinstance(result, celpy.CELEvalError):
        raise result
    return bool(result) if isinstance(result, celtypes.BoolType) else result


def evaluate(expression: str, facts: dict[str, Any]) -> bool:
    """True or false on recorded facts; a fact missing at run time (a skipped step's answer) is false."""
    try:
        return evaluate_compiled(_compile(expression), facts) is True
    except celpy.CELEvalError:
        return False


def conditions_of(playbook: Playbook) -> Iterator[tuple[tuple[int | str, ...], str, Step]]:
    """(document path of the `when`, expression, the step it guards first) for every play and step."""
    for si, stage in enumerate(playbook.stages):
        for pi, play in enumerate(stage.plays):
            if play.when:
                yield ("stages", si, "plays", pi, "when"), play.when, play.steps[0]
            for ti, step in enumerate(play.steps):
                if step.when:
                    yield ("stages", si, "plays", pi, "steps", ti, "when"), step.when, step


def step_conditions(playbook: Playbook, step_key: str) -> list[str]:
    """The conditions that must all hold for a step to run: its play's, then its own."""
    play = playbook.play_of(step_key)
    step = playbook.step(step_key)
    return [c for c in (play.when, step.when) if c]
