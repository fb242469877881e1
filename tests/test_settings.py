from __future__ import annotations

import pytest
from pydantic import ValidationError

from settings import Settings


class TestSettings:
    def test_development_defaults_to_embedded_sqlite(self) -> None:
        settings = Settings(environment="development")
        assert settings.database_url.startswith("sqlite+aiosqlite:///")
        assert settings.email_backend == "outbox"

    def test_production_refuses_development_secrets(self) -> None:
        with pytest.raises(ValidationError, match="COSELL_LINK_SIGNING_KEYS"):
            Settings(environment="production")
        with pytest.raises(ValidationError, match="COSELL_API_KEYS"):
            Settings(environment="production", link_signing_keys=["k" * 40])
        ok = Settings(environment="production", link_signing_keys=["k" * 40], api_keys=["a" * 40])
        assert not ok.dev_tools_enabled

    def test_environment_variables_with_prefix(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("COSELL_TASK_QUEUE", "from-env")
        monkeypatch.setenv("COSELL_LINK_SIGNING_KEYS", '["' + "z" * 40 + '"]')
        settings = Settings()
        assert settings.task_queue == "from-env" and settings.link_signing_keys == ["z" * 40]

    def test_short_signing_keys_are_refused(self) -> None:
        with pytest.raises(ValidationError, match="at least 32 characters"):
            Settings(link_signing_keys=["short"])
