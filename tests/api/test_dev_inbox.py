"""The dev inbox shows every email with its links and no auth: it exists only when asked for."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from api.app import create_app
from settings import Settings


def _paths(settings: Settings) -> set[str]:
    return set(create_app(settings).openapi()["paths"])


def test_no_dev_inbox_outside_embedded_mode_even_without_production() -> None:
    # A deployment with real secrets but COSELL_ENVIRONMENT unset must not serve every link at /dev/inbox.
    for environment in ("development", "test"):
        settings = Settings(environment=environment, link_signing_keys=["k" * 40], api_keys=["a" * 40])
        assert not settings.dev_tools_enabled
        assert not any(path.startswith("/dev/") for path in _paths(settings)), environment


def test_dev_inbox_when_enabled_and_never_in_production() -> None:
    assert "/dev/inbox/messages" in _paths(Settings(environment="development", dev_inbox=True))
    with pytest.raises(ValidationError, match="COSELL_DEV_INBOX"):
        Settings(environment="production", link_signing_keys=["k" * 40], api_keys=["a" * 40], dev_inbox=True)
