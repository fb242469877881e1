"""The worker writes its workflow modules' bytecode, which the sandbox's fresh import of every workflow run then
loads instead of compiling the source again (sys.dont_write_bytecode is set on this machine and in the image)."""

from __future__ import annotations

import importlib.machinery
import importlib.util
from pathlib import Path

import pytest

from worker import compile_workflow_modules

pytestmark = pytest.mark.timeout(60)


def test_workflow_modules_get_bytecode_the_import_system_uses(tmp_path: Path) -> None:
    package = tmp_path / "flows"
    package.mkdir()
    source = package / "journey.py"
    source.write_text("STEPS = 3\n")
    cached = Path(importlib.util.cache_from_source(str(source)))
    assert not cached.exists()

    compile_workflow_modules(package)

    assert cached.exists(), f"no bytecode at {cached}"
    loader = importlib.machinery.SourceFileLoader("flows.journey", str(source))
    loader.source_to_code = lambda *_, **__: pytest.fail("the import compiled the source again")  # type: ignore[method-assign]
    namespace: dict[str, object] = {}
    code = loader.get_code("flows.journey")
    assert code is not None
    exec(code, namespace)
    assert namespace["STEPS"] == 3
