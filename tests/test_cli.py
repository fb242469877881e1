from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

import cli
from db.migrate import upgrade
from db.session import make_engine, make_sessionmaker
from embedded import publish_shipped
from settings import get_settings
from tests.factories import create_cohort, partner


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


def test_users_create_makes_an_account_and_says_what_is_wrong(
    monkeypatch: pytest.MonkeyPatch, sqlite_sessions: Any
) -> None:
    url = sqlite_sessions.kw["bind"].url.render_as_string(hide_password=False)
    monkeypatch.setenv("COSELL_DATABASE_URL", url)
    get_settings.cache_clear()

    def create(*args: str) -> Any:
        return CliRunner().invoke(cli.app, ["users", "create", *args])

    try:
        made = create("--email", "Pat@Vendor.example", "--name", "Pat", "--role", "manager", "--program", "EMEA")
        assert made.exit_code == 0, made.output
        assert "created manager pat@vendor.example for EMEA" in made.output and "/signin" in made.output
        again = create("--email", "pat@vendor.EXAMPLE", "--name", "Pat", "--role", "admin")
        assert again.exit_code == 1 and "--email: a user with pat@vendor.example already exists" in again.output
        bad_role = create("--email", "x@vendor.example", "--name", "X", "--role", "owner")
        assert bad_role.exit_code == 1 and "--role: 'owner' must be one of admin, manager" in bad_role.output
        admin_scoped = create("--email", "y@vendor.example", "--name", "Y", "--role", "admin", "--program", "EMEA")
        assert admin_scoped.exit_code == 1 and "--program" in admin_scoped.output
    finally:
        get_settings.cache_clear()


def test_cosell_lists_partners_and_cohorts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"

    async def seed() -> str:
        engine = make_engine(url)
        try:
            await upgrade(engine)
            sessions = make_sessionmaker(engine)
            await publish_shipped(sessions)
            body = [partner("Adatum Consulting", "SI", region="EMEA"), partner("Litware Systems", "ISV")]
            return (await create_cohort(sessions, body)).id
        finally:
            await engine.dispose()

    cohort_id = asyncio.run(seed())
    monkeypatch.setenv("COSELL_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        listed = runner.invoke(cli.app, ["partners", "list", "--type", "SI"])
        cohorts = runner.invoke(cli.app, ["cohorts", "list", "--program", "Test program"])
        unknown = runner.invoke(cli.app, ["cohorts", "list", "--program", "Nope"])
    finally:
        get_settings.cache_clear()
    assert listed.exit_code == 0, listed.output
    [row] = [line for line in listed.stdout.splitlines() if "\t" in line]
    assert row.split("\t")[1:5] == ["Adatum Consulting", "SI", "3", "EMEA"]
    assert cohorts.exit_code == 0 and cohorts.stdout.split("\t")[0] == cohort_id, cohorts.output
    assert unknown.exit_code == 1 and "Nope" in unknown.output


def test_keys_create_list_and_revoke(monkeypatch: pytest.MonkeyPatch, sqlite_sessions: Any) -> None:
    url = sqlite_sessions.kw["bind"].url.render_as_string(hide_password=False)
    monkeypatch.setenv("COSELL_DATABASE_URL", url)
    get_settings.cache_clear()

    def keys(*args: str) -> Any:
        return CliRunner().invoke(cli.app, ["keys", *args])

    def listed() -> list[list[str]]:
        shown = keys("list")
        assert shown.exit_code == 0, shown.output
        return [line.split("\t") for line in shown.stdout.splitlines()]

    try:
        made = CliRunner().invoke(
            cli.app, ["users", "create", "--email", "kim@v.example", "--name", "K", "--role", "admin"]
        )
        assert made.exit_code == 0, made.output
        created = keys("create", "--user", "Kim@V.example", "--name", "crm sync")
        assert created.exit_code == 0, created.output
        key = created.stdout.strip()
        assert key.startswith("csk_") and len(key) > 40
        prefix = key.split("_")[1]
        [row] = listed()
        assert row[:3] == [prefix, "kim@v.example", "crm sync"] and row[5] == "-"
        assert key not in keys("list").output  # listed by prefix, never in full

        revoked = keys("revoke", prefix)
        assert revoked.exit_code == 0 and f"revoked key {prefix}" in revoked.output
        [row] = listed()
        assert row[0] == prefix and row[5] != "-"
        again = keys("revoke", prefix)
        assert again.exit_code == 1 and f"no live API key with prefix '{prefix}'" in again.output
        nobody = keys("create", "--user", "nobody@v.example", "--name", "x")
        assert nobody.exit_code == 1 and "no user with email 'nobody@v.example'" in nobody.output
        unnamed = keys("create", "--user", "kim@v.example", "--name", " ")
        assert unnamed.exit_code == 1 and "name:" in unnamed.output
    finally:
        get_settings.cache_clear()
