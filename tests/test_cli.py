from __future__ import annotations

from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

import cli
from settings import get_settings


def _served_on(monkeypatch: pytest.MonkeyPatch, *args: str) -> dict[str, Any]:
    served: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: served.update(kwargs))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli.app, ["api", *args])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    return served


def test_cosell_api_binds_localhost_unless_told_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COSELL_API_HOST", raising=False)
    assert _served_on(monkeypatch)["host"] == "127.0.0.1"
    told = _served_on(monkeypatch, "--host", "0.0.0.0", "--port", "8123")
    assert (told["host"], told["port"]) == ("0.0.0.0", 8123)
    monkeypatch.setenv("COSELL_API_HOST", "10.1.2.3")
    assert _served_on(monkeypatch)["host"] == "10.1.2.3"
