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

    def test_production_refuses_missing_secrets_of_the_chosen_email_backend(self) -> None:
        real = dict(environment="production", link_signing_keys=["k" * 40], api_keys=["a" * 40])
        with pytest.raises(ValidationError, match="COSELL_SENDGRID_API_KEY"):
            Settings(**real, email_backend="sendgrid", sendgrid_webhook_public_key="x")
        with pytest.raises(ValidationError, match="COSELL_SENDGRID_WEBHOOK_PUBLIC_KEY"):
            Settings(**real, email_backend="sendgrid", sendgrid_api_key="SG.real")
        with pytest.raises(ValidationError, match="COSELL_SMTP_HOST"):
            Settings(**real, email_backend="smtp")
        with pytest.raises(ValidationError, match="COSELL_SMTP_PASSWORD"):
            Settings(**real, email_backend="smtp", smtp_host="relay.example", smtp_username="cosell")
        ok = Settings(**real, email_backend="sendgrid", sendgrid_api_key="SG.real", sendgrid_webhook_public_key="x")
        assert "SG.real" not in repr(ok)  # secrets never print

    def test_the_sendgrid_backend_needs_a_key_everywhere(self) -> None:
        with pytest.raises(ValidationError, match="COSELL_SENDGRID_API_KEY"):
            Settings(environment="development", email_backend="sendgrid")
