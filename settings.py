"""One Settings class, read from COSELL_* environment variables (and .env)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
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
    # SendGrid (email_backend=sendgrid). The SDK has no timeout of its own: a hung request would block forever.
    sendgrid_api_key: SecretStr = SecretStr("")
    sendgrid_host: str = "https://api.sendgrid.com"
    sendgrid_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    # Off by default: the pixel is a privacy cost; click tracking is always off (it would route tokens via SendGrid).
    sendgrid_open_tracking: bool = False
    # Base64 DER public key of the signed Event Webhook (SendGrid console: Mail Settings -> Event Webhook).
    sendgrid_webhook_public_key: str = ""
    webhook_max_age_seconds: int = Field(default=300, gt=0)
    # SMTP (email_backend=smtp): a relay, or a local catcher such as Mailpit on 1025.
    smtp_host: str = ""
    smtp_port: int = 1025
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    # In-process limits on the public link pages, per link token and per client address.
    link_rate_limit_per_token: int = Field(default=30, gt=0)
    link_rate_limit_per_ip: int = Field(default=120, gt=0)
    link_rate_limit_window_seconds: int = Field(default=60, gt=0)
    # Request body limits in bytes, counted while the body streams in (chunked uploads too): over the limit -> 413.
    max_body_bytes: int = Field(default=1 << 20, gt=0)  # PM JSON calls, link page forms, anything not below
    max_body_bytes_partner_lists: int = Field(default=16 << 20, gt=0)  # cohorts and added partners (50,000 a call)
    max_body_bytes_imports: int = Field(default=64 << 20, gt=0)  # CRM CSV imports (200,000 vendor accounts)
    max_body_bytes_step_page: int = Field(default=26 << 20, gt=0)  # an account list upload (10 MB) or its confirm form
    max_body_bytes_webhook: int = Field(default=5 << 20, gt=0)  # SendGrid batches events
    # /dev/inbox shows every email with its live links and no auth: only `cosell up` (embedded) turns it on.
    dev_inbox: bool = False
    # The outbox sweeper (a Temporal Schedule): how often it runs, how long a row may stay `pending` before
    # the sweeper sends it, how long an `unknown` send waits for a provider event before it is `unsettled`,
    # and how old an `unknown` send must be before the provider is asked about it (SendGrid's Email Activity
    # shows a message within minutes) or, with a provider that cannot be asked (SMTP), it is `unsettled`.
    outbox_sweep_every_seconds: int = Field(default=300, gt=0)
    outbox_pending_grace_seconds: int = Field(default=900, gt=0)
    outbox_settle_window_seconds: int = Field(default=172800, gt=0)
    outbox_query_after_seconds: int = Field(default=1800, gt=0)
    # Outbound webhooks: per-request timeout, how long a delivery is retried, after how many deliveries in a row
    # given up a subscription is disabled, and how often pending deliveries are handed to delivery workflows.
    outbound_webhook_timeout_seconds: float = Field(default=5.0, gt=0, le=30)
    outbound_webhook_retry_hours: float = Field(default=24.0, gt=0, le=72)
    outbound_webhook_disable_after: int = Field(default=5, gt=0)
    outbound_webhook_dispatch_every_seconds: int = Field(default=10, gt=0)
    # How much one worker process takes on at once. Workflow code is Python under one GIL: past a few
    # concurrent tasks it only gets slower, and a task over its 10 s timeout is redone from its history (a
    # 500-partner launch thrashed that way at the SDK's default of 100). Activities wait on the database
    # pool (db.session: 20 connections), so more than that only queues inside the process while their
    # timeouts run. Scale out with worker processes, not these.
    worker_max_concurrent_workflow_tasks: int = Field(default=10, ge=2)
    worker_max_concurrent_activities: int = Field(default=20, ge=1)
    # Journeys kept in the worker's memory between their tasks (the SDK's sticky cache); one past it is
    # evicted and replays its history at its next timer or message.
    worker_max_cached_workflows: int = Field(default=1000, ge=0)
    # The worker's /healthz, /readyz and /metrics (0: not served). Probes from outside the host need 0.0.0.0.
    worker_http_host: str = "127.0.0.1"
    worker_http_port: int = Field(default=0, ge=0, lt=65536)
    # The Temporal SDK's own worker metrics for Prometheus, on worker_http_host (0: not exported).
    temporal_metrics_port: int = Field(default=0, ge=0, lt=65536)
    # GET .../progress/summary answers counts at most this old (per API process); 0 counts at every request.
    progress_summary_max_age_seconds: float = Field(default=2.0, ge=0, le=300)
    # `cosell api` / `cosell worker` logs: "auto" is one JSON object per line in production, text elsewhere.
    log_format: Literal["auto", "text", "json"] = "auto"
    # OpenTelemetry traces go to this OTLP/HTTP collector (e.g. http://otel-collector:4318); empty: no tracing.
    otlp_endpoint: str = ""

    @model_validator(mode="after")
    def _defaults_and_production_guard(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{(self.data_dir / 'cosell.db').as_posix()}"
        if self.environment == "production":
            if DEV_LINK_KEY in self.link_signing_keys:
                raise ValueError("COSELL_LINK_SIGNING_KEYS must be set to real secrets in production")
            if DEV_API_KEY in self.api_keys:
                raise ValueError("COSELL_API_KEYS must be set to real secrets in production")
            if self.email_backend == "sendgrid" and not self.sendgrid_webhook_public_key:
                # Without it every delivery event is refused, so bounces would never suppress anything.
                raise ValueError("COSELL_SENDGRID_WEBHOOK_PUBLIC_KEY must be set when COSELL_EMAIL_BACKEND=sendgrid")
            if self.dev_inbox:
                raise ValueError("COSELL_DEV_INBOX must be off in production")
        self._require_email_secrets()
        if any(len(k) < 32 for k in self.link_signing_keys):
            raise ValueError("each link signing key must be at least 32 characters")
        return self

    def _require_email_secrets(self) -> None:
        if self.email_backend == "sendgrid" and not self.sendgrid_api_key.get_secret_value():
            raise ValueError("COSELL_SENDGRID_API_KEY must be set when COSELL_EMAIL_BACKEND=sendgrid")
        if self.email_backend == "smtp" and not self.smtp_host:
            raise ValueError("COSELL_SMTP_HOST must be set when COSELL_EMAIL_BACKEND=smtp")
        if self.smtp_username and not self.smtp_password.get_secret_value():
            raise ValueError("COSELL_SMTP_PASSWORD must be set when COSELL_SMTP_USERNAME is")

    @property
    def json_logs(self) -> bool:
        return self.log_format == "json" or (self.log_format == "auto" and self.environment == "production")

    @property
    def dev_tools_enabled(self) -> bool:
        return self.dev_inbox


@lru_cache
def get_settings() -> Settings:
    return Settings()
