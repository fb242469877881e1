"""Size limits, checked on the source: no module over 400 lines, no function over 60 (migrations aside).

A long module or function is where a second concept hides; the limit makes splitting it part of the
change that grows it, not a later clean-up.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
# Generated once and never edited by hand; each is one upgrade and one downgrade.
EXEMPT = (Path("db/migrations"),)
SKIPPED_DIRS = {"__pycache__", "build", "dist", "node_modules", "test-artifacts"}


def project_modules(root: Path = ROOT) -> list[Path]:
    return [
        path
        for path in sorted(root.rglob("*.py"))
        if not any(part.startswith(".") or part in SKIPPED_DIRS for part in path.relative_to(root).parts)
        and not any(path.relative_to(root).is_relative_to(exempt) for exempt in EXEMPT)
        and not path.parent.name.endswith(".egg-info")
    ]


def oversized(path: Path, root: Path = ROOT) -> list[str]:
    """Every module and function (methods and nested functions too) over its limit, as file:line and size."""
    text = path.read_text()
    shown = path.relative_to(root)
    found = []
    if (lines := len(text.splitlines())) > MAX_MODULE_LINES:
        found.append(f"{shown}:1 module has {lines} lines (limit {MAX_MODULE_LINES})")
    for node in ast.walk(ast.parse(text, filename=str(path))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            # From its first decorator to its last line: what a reader has to hold at once.
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            size = (node.end_lineno or node.lineno) - start + 1
            if size > MAX_FUNCTION_LINES:
                found.append(f"{shown}:{start} {node.name}() has {size} lines (limit {MAX_FUNCTION_LINES})")
    return found


def test_no_module_or_function_is_over_its_size_limit() -> None:
    modules = project_modules()
    assert len(modules) > 100  # the walk found the project, not an empty folder
    assert [hit for path in modules for hit in oversized(path)] == []


def test_the_size_check_reports_what_is_over_and_only_that(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(58))
    (tmp_path / "fits.py").write_text(f"def fits():\n{body}\n    return 0\n")  # 60 lines: at the limit
    (tmp_path / "long.py").write_text(
        f"import os\n\n\n@staticmethod\nasync def long():\n{body}\n    x = 1\n    return x\n"
    )
    (tmp_path / "big.py").write_text("x = 1\n" * 401)
    (tmp_path / "db" / "migrations").mkdir(parents=True)
    (tmp_path / "db" / "migrations" / "v1.py").write_text("x = 1\n" * 500)
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "lib.py").write_text("x = 1\n" * 500)
    found = [hit for path in project_modules(tmp_path) for hit in oversized(path, tmp_path)]
    assert found == [
        "big.py:1 module has 401 lines (limit 400)",
        "long.py:4 long() has 62 lines (limit 60)",
    ]
