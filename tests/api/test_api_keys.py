"""Users' API keys: created from the dashboard, shown once, stored hashed, acting in the audit log by
prefix, recording their last use, and refused at once when revoked; COSELL_API_KEYS act as bootstrap keys."""

from __future__ import annotations

import hashlib
import re

import httpx
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from db.models import AuditLog
from db.session import SessionFactory, transaction
from db.user_models import ApiKey
from tests.dashboard_data import browser, csrf_of, dashboard_app, sign_in, two_programs
from tests.factories import settings_for

SHOWN_KEY = re.compile(r'readonly value="(csk_[0-9a-f]{8}_[^"]+)"')


async def actors(sessions: SessionFactory, action: str) -> list[str]:
    async with transaction(sessions) as session:
        return list(await session.scalars(select(AuditLog.actor).where(AuditLog.action == action)))


async def stored_keys(sessions: SessionFactory) -> list[ApiKey]:
    async with transaction(sessions) as session:
        return list(await session.scalars(select(ApiKey)))


async def create_key(client: httpx.AsyncClient, name: str) -> str:
    form = await client.get("/account/keys")
    created = await client.post("/account/keys", data={"name": name, "csrf": csrf_of(form.text)})
    assert created.status_code == 200, created.text
    found = SHOWN_KEY.search(created.text)
    assert found, created.text
    return found.group(1)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


class TestUserKeys:
    async def test_created_key_works_acts_by_prefix_and_is_stored_only_hashed(
        self, dev_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
    ) -> None:
        await two_programs(sqlite_sessions)
        # The admin's key: creating a program takes one (a manager's key is refused, see test_key_scope.py).
        async with dashboard_app(settings_for(sqlite_sessions), dev_env.client) as app, browser(app) as root:
            await sign_in(root, "root@admin.example")
            key = await create_key(root, "nightly sync")
            prefix = key.split("_")[1]

            api = browser(app)
            assert (await api.get("/api/v1/programs", headers=bearer(key))).status_code == 200
            made = await api.post("/api/v1/programs", json={"name": "Keyed Program"}, headers=bearer(key))
            assert made.status_code == 201, made.text
            assert await actors(sqlite_sessions, "program_created") == [f"key:{prefix}"]
            assert await actors(sqlite_sessions, "api_key_created") == ["user:root@admin.example"]

            [row] = await stored_keys(sqlite_sessions)
            assert row.prefix == prefix and row.key_hash == hashlib.sha256(key.encode()).hexdigest()
            assert key not in repr(vars(row)) and row.last_used_at is not None
            listing = (await root.get("/account/keys")).text
            assert prefix in listing and "nightly sync" in listing and key not in listing  # shown once only

    async def test_a_revoked_key_is_refused_at_once(
        self, dev_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
    ) -> None:
        await two_programs(sqlite_sessions)
        async with dashboard_app(settings_for(sqlite_sessions), dev_env.client) as app, browser(app) as ann:
            await sign_in(ann, "ann@a.example")
            key = await create_key(ann, "to revoke")
            prefix = key.split("_")[1]
            api = browser(app)
            assert (await api.get("/api/v1/programs", headers=bearer(key))).status_code == 200

            confirm = await ann.get(f"/account/keys/{prefix}/revoke")
            assert confirm.status_code == 200 and "cannot be undone" in confirm.text
            forged = await ann.post(f"/account/keys/{prefix}/revoke", data={"csrf": "forged"})
            assert forged.status_code == 403
            assert (await api.get("/api/v1/programs", headers=bearer(key))).status_code == 200

            revoked = await ann.post(f"/account/keys/{prefix}/revoke", data={"csrf": csrf_of(confirm.text)})
            assert revoked.status_code == 303 and revoked.headers["location"] == f"/account/keys?done={prefix}"
            assert (await api.get("/api/v1/programs", headers=bearer(key))).status_code == 401
            # A request with a body is refused before it is read, by the same check.
            posted = await api.post("/api/v1/programs", json={"name": "Too Late"}, headers=bearer(key))
            assert posted.status_code == 401
            assert await actors(sqlite_sessions, "program_created") == []
            assert await actors(sqlite_sessions, "api_key_revoked") == ["user:ann@a.example"]

    async def test_another_users_key_cannot_be_revoked_and_forged_create_makes_none(
        self, dev_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
    ) -> None:
        await two_programs(sqlite_sessions)
        async with (
            dashboard_app(settings_for(sqlite_sessions), dev_env.client) as app,
            browser(app) as ann,
            browser(app) as bob,
        ):
            await sign_in(ann, "ann@a.example")
            await sign_in(bob, "bob@b.example")
            key = await create_key(ann, "ann's")
            prefix = key.split("_")[1]
            assert (await bob.get(f"/account/keys/{prefix}/revoke")).status_code == 404
            bob_form = await bob.get("/account/keys")
            refused = await bob.post(f"/account/keys/{prefix}/revoke", data={"csrf": csrf_of(bob_form.text)})
            assert refused.status_code == 404
            assert (await browser(app).get("/api/v1/programs", headers=bearer(key))).status_code == 200

            forged = await bob.post("/account/keys", data={"name": "sneaky", "csrf": "forged"})
            assert forged.status_code == 403
            assert [k.name for k in await stored_keys(sqlite_sessions)] == ["ann's"]


class TestBootstrapKeys:
    async def test_bootstrap_key_acts_as_bootstrap_key_and_a_wrong_key_is_refused(
        self, dev_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
    ) -> None:
        settings = settings_for(sqlite_sessions, api_keys=["boot-secret-1"])
        async with dashboard_app(settings, dev_env.client) as app, browser(app) as api:
            made = await api.post("/api/v1/programs", json={"name": "Booted"}, headers=bearer("boot-secret-1"))
            assert made.status_code == 201, made.text
            assert await actors(sqlite_sessions, "program_created") == ["bootstrap-key"]
            wrong = await api.get("/api/v1/programs", headers=bearer("csk_00000000_not-a-key"))
            assert wrong.status_code == 401
