"""Which room may import which: checked on the source, so a forbidden import fails the suite, not review."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(path: Path) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def sources(room: str) -> list[Path]:
    where = ROOT / room
    return [where] if where.is_file() else sorted(where.rglob("*.py"))


def offenders(room: str, forbidden: str) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in sources(room)
        for line, module in imported_modules(path)
        if module == forbidden or module.startswith(f"{forbidden}.")
    ]


def test_the_api_imports_nothing_from_activities_or_the_worker() -> None:
    # Emails, read views and repositories live where both the API and the worker may use them
    # (mail/, db/views/, db/repositories/); activities/ holds only the worker's Temporal activities.
    # The client, senders and signers come from wiring.py, which must not reach into the worker either.
    assert offenders("api", "activities") + offenders("api", "worker") == []
    assert offenders("wiring.py", "activities") + offenders("wiring.py", "worker") == []


def test_mail_and_read_views_import_neither_api_nor_activities() -> None:
    for room in ("mail", "db"):
        assert offenders(room, "api") + offenders(room, "activities") == []


# Calls whose first argument names an activity, a signal, an update, a query or a child workflow. A
# string there is checked by nobody until run time; a method reference is checked by mypy.
NAMED_CALLS = {
    "execute_activity",
    "start_activity",
    "execute_activity_method",
    "start_activity_method",
    "execute_local_activity",
    "start_local_activity",
    "execute_child_workflow",
    "start_child_workflow",
    "signal",
    "execute_update",
    "start_update",
    "query",
}
NAME_KEYWORDS = {"activity", "signal", "update", "query", "workflow"}


def names_by_string(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    # A module-level `NAME = "sweep_outbox"` passed along is a string name too.
    constants = {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
        for target in node.targets
        if isinstance(target, ast.Name)
    }

    def is_string(arg: ast.expr) -> bool:
        return (
            isinstance(arg, ast.JoinedStr)
            or (isinstance(arg, ast.Constant) and isinstance(arg.value, str))
            or (isinstance(arg, ast.Name) and arg.id in constants)
        )

    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        called = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if called not in NAMED_CALLS:
            continue
        named = node.args[:1] + [kw.value for kw in node.keywords if kw.arg in NAME_KEYWORDS]
        if any(is_string(arg) for arg in named):
            found.append((node.lineno, called))
    return found


def test_no_workflow_names_an_activity_or_signal_by_string() -> None:
    assert [
        f"{path.relative_to(ROOT)}:{line} {called}(...) names its target by a string"
        for path in sources("workflows")
        for line, called in names_by_string(path)
    ] == []


def test_the_string_check_sees_each_form(tmp_path: Path) -> None:
    planted = tmp_path / "workflow.py"
    planted.write_text(
        "from temporalio import workflow\n"
        "NAME = 'sweep_outbox'\n"
        "async def run(handle, now):\n"
        "    await workflow.execute_activity('sweep_outbox', now)\n"
        "    await workflow.start_activity(NAME, now)\n"
        "    await handle.signal(f'window_{now}', now)\n"
        "    await workflow.execute_child_workflow(workflow='Journey')\n"
        "    await workflow.execute_activity_method(Activities.sweep_outbox, now)\n"
        "    await handle.signal(Workflow.window_changed, 'a string argument is fine')\n"
    )
    assert names_by_string(planted) == [
        (4, "execute_activity"),
        (5, "start_activity"),
        (6, "signal"),
        (7, "execute_child_workflow"),
    ]


def test_the_check_sees_an_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("import os\nfrom activities.email import notices\nfrom . import sibling\n")
    assert imported_modules(module) == [(1, "os"), (2, "activities.email")]
