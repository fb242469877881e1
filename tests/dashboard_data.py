"""Dashboard tests' shared set-up: two programs with a cohort each, their managers, an admin, and sign-in."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from fastapi import FastAPI

from api.app import create_app
from api.dashboard.users import create as create_user
from db.session import SessionFactory, transaction
from settings import Settings
from tests.factories import create_cohort, partner

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass(frozen=True)
class Programs:
    cohort_a: str
    cohort_b: str
    partner_a: str
    partner_b: str


async def two_programs(sessions: SessionFactory) -> Programs:
    """Program A (Alpha) and Program B (Beta), a manager for each, an admin over both."""
    a = await create_cohort(sessions, [partner("Alpha Analytics")], program="Program A", name="Cohort A")
    b = await create_cohort(sessions, [partner("Beta Builders", "SI")], program="Program B", name="Cohort B")
    async with transaction(sessions) as session:
        await create_user(session, "Ann@A.example", "Ann", "manager", ["Program A"])
        await create_user(session, "bob@b.example", "Bob", "manager", ["Program B"])
        await create_user(session, "root@admin.example", "Root", "admin", [])
    ids = await member_ids(sessions, a.id) + await member_ids(sessions, b.id)
    return Programs(a.id, b.id, ids[0], ids[1])


async def member_ids(sessions: SessionFactory, cohort_id: str) -> list[str]:
    from db.repositories import cohorts

    async with transaction(sessions) as session:
        return [p.id for p in await cohorts.active_members(session, cohort_id)]


@asynccontextmanager
async def dashboard_app(settings: Settings, temporal: Any) -> AsyncIterator[FastAPI]:
    app = create_app(settings, temporal)
    async with app.router.lifespan_context(app):
        yield app


def browser(app: FastAPI) -> httpx.AsyncClient:
    """A client with its own cookie jar, like one browser."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, html[:500]
    return found.group(1)


async def request_link(client: httpx.AsyncClient, email: str, next_path: str = "/") -> str:
    """Ask for a sign-in link from the form and read it back from the dev inbox."""
    form = await client.get("/signin", params={"next": next_path})
    sent = await client.post("/signin", data={"email": email, "next": next_path, "csrf": csrf_of(form.text)})
    assert sent.status_code == 200 and "Check your email" in sent.text, sent.text
    messages = (await client.get("/dev/inbox/messages")).json()
    links = [m["links"][0] for m in messages if email.lower() in m["to"].lower() and m["kind"] == "pm_sign_in"]
    assert links, messages
    return urlsplit(links[0]).path


async def use_link(client: httpx.AsyncClient, path: str) -> httpx.Response:
    page = await client.get(path)
    assert page.status_code == 200, page.text
    return await client.post(path, data={"csrf": csrf_of(page.text)})


async def sign_in(client: httpx.AsyncClient, email: str, next_path: str = "/") -> httpx.Response:
    done = await use_link(client, await request_link(client, email, next_path))
    assert done.status_code == 303, done.text
    return done
