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


def offenders(room: str, forbidden: str) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in sorted((ROOT / room).rglob("*.py"))
        for line, module in imported_modules(path)
        if module == forbidden or module.startswith(f"{forbidden}.")
    ]


def test_the_api_imports_nothing_from_activities() -> None:
    # Emails, read views and repositories live where both the API and the worker may use them
    # (mail/, db/views/, db/repositories/); activities/ holds only the worker's Temporal activities.
    assert offenders("api", "activities") == []


def test_mail_and_read_views_import_neither_api_nor_activities() -> None:
    for room in ("mail", "db"):
        assert offenders(room, "api") + offenders(room, "activities") == []


def test_the_check_sees_an_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("import os\nfrom activities.email import notices\nfrom . import sibling\n")
    assert imported_modules(module) == [(1, "os"), (2, "activities.email")]
