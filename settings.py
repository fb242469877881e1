"""One Settings class, read from COSELL_* environment variables (and .env)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_LINK_KEY = "dev-only-link-signing-key-change-me-0000000000"
DEV_API_KEY = "dev-pm-key"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COSELL_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path(".cosell")
    database_url: str = ""
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    task_queue: str = "cosell"
    temporal_ui_port: int = 8233
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    public_base_url: str = "http://127.0.0.1:8000"
    email_backend: Literal["outbox", "sendgrid", "smtp"] = "outbox"
    email_from: str = "cosell@example.com"
    program_name: str = "Partner Co-Sell Program"
    # Newest key first signs; every key verifies, so old links survive a rotation.
    link_signing_keys: list[str] = Field(default_factory=lambda: [DEV_LINK_KEY])
    link_max_age_days: int = 30
    api_keys: list[str] = Field(default_factory=lambda: [DEV_API_KEY])

    @model_validator(mode="after")
    def _defaults_and_production_guard(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{(self.data_dir / 'cosell.db').as_posix()}"
        if self.environment == "production":
            if DEV_LINK_KEY in self.link_signing_keys:
                raise ValueError("COSELL_LINK_SIGNING_KEYS must be set to real secrets in production")
            if DEV_API_KEY in self.api_keys:
                raise ValueError("COSELL_API_KEYS must be set to real secrets in production")
        if any(len(k) < 32 for k in self.link_signing_keys):
            raise ValueError("each link signing key must be at least 32 characters")
        return self

    @property
    def dev_tools_enabled(self) -> bool:
        return self.environment != "production"


@lru_cache
def get_settings() -> Settings:
    return Settings()
