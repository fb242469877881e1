"""`cosell webhooks`: subscribe, list and replay from the command line, with the API's checks."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

import cli
from db.models import AuditLog, Program
from db.session import transaction
from settings import get_settings
from tests.factories import create_cohort, partner


async def test_webhooks_create_list_and_replay(monkeypatch: pytest.MonkeyPatch, sqlite_sessions: Any) -> None:
    await create_cohort(sqlite_sessions, [partner()])
    async with transaction(sqlite_sessions) as session:
        program = await session.scalar(select(Program.id))
    url = sqlite_sessions.kw["bind"].url.render_as_string(hide_password=False)
    monkeypatch.setenv("COSELL_DATABASE_URL", url)
    get_settings.cache_clear()

    async def hooks(*args: str) -> Any:  # the command runs its own event loop: off this test's
        return await asyncio.to_thread(CliRunner().invoke, cli.app, ["webhooks", *args])

    try:
        made = await hooks("create", program, "--url", "https://crm.example/hooks", "--event", "deal.won")
        assert made.exit_code == 0, made.output
        sub_id, secret = made.stdout.strip().split("\t")
        assert secret.startswith("whsec_")
        listed = await hooks("list", program)
        assert listed.stdout.strip().split("\t") == [sub_id, "enabled", "https://crm.example/hooks", "deal.won", "0"]
        assert secret not in listed.output
        unsafe = await hooks("create", program, "--url", "https://169.254.169.254/", "--event", "deal.won")
        assert unsafe.exit_code == 1 and "metadata" in unsafe.output
        unknown_event = await hooks("create", program, "--url", "https://crm.example/", "--event", "deal.maybe")
        assert unknown_event.exit_code == 1 and "events" in unknown_event.output
        missing = await hooks("replay", program, sub_id, "no-such-delivery")
        assert missing.exit_code == 1 and "no-such-delivery not found" in missing.output
    finally:
        get_settings.cache_clear()
    async with transaction(sqlite_sessions) as session:
        audited = list(await session.execute(select(AuditLog.actor, AuditLog.action)))
    assert ("cli", "webhook_created") in audited
