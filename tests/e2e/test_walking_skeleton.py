"""The done-when path, over real HTTP: launch -> invite in the inbox -> form POST -> next step."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
import uvicorn
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from db.session import SessionFactory
from domain.links import StepClaims
from settings import Settings
from tests.api.helpers import PM
from tests.factories import cohort_body, partner, settings_for
from tests.waiting import eventually
from tests.workflows.helpers import running_worker
from wiring import make_signer

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@asynccontextmanager
async def serving(settings: Settings, env: WorkflowEnvironment) -> AsyncIterator[str]:
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, env.client), host="127.0.0.1", port=settings.api_port, log_level="warning")
    )
    task = asyncio.create_task(server.serve())

    async def listening() -> bool:  # uvicorn exposes a flag, not an event
        assert not task.done(), task  # it stopped: the port, the app or the config is wrong
        return server.started

    await eventually(listening, what="uvicorn listening", interval=0.02)
    try:
        yield f"http://127.0.0.1:{settings.api_port}"
    finally:
        server.should_exit = True
        await task


def form_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]+)"', html))


async def pm_get(base: str, path: str) -> dict:
    async with httpx.AsyncClient(base_url=base, headers=PM) as pm:
        return (await pm.get(path)).json()


async def until(fetch):  # type: ignore[no-untyped-def]
    return await eventually(fetch, what=fetch.__name__)


async def only_its_own_link_opens(
    browser: httpx.AsyncClient, base: str, settings: Settings, cohort_id: str, link: str, other_link: str
) -> None:
    """A tampered link, another partner's step and a made-up journey are all the same 404; the other
    partner's own link still opens."""
    tampered = await browser.get(link[:-3] + ("xyz" if not link.endswith("xyz") else "abc"))
    assert tampered.status_code == 404 and "couldn" in tampered.text
    signer = make_signer(settings)
    ids = {
        p["name"]: p["partner_id"] for p in (await pm_get(base, f"/api/v1/cohorts/{cohort_id}/progress"))["partners"]
    }
    beta_rules = StepClaims(journey_id=f"journey/{cohort_id}/{ids['Beta Builders']}", step_key="rules")
    assert (await browser.get(f"{base}/p/{signer.sign_step(beta_rules)}")).status_code == 404
    made_up = StepClaims(journey_id=f"journey/{cohort_id}/not-a-partner", step_key="icp")
    assert (await browser.get(f"{base}/p/{signer.sign_step(made_up)}")).status_code == 404
    assert (await browser.get(other_link)).status_code == 200


async def only_alpha_moved_on(base: str, cohort_id: str) -> None:
    """Alpha's journey takes the next step; Beta, who answered nothing, is still on the first."""
    async with httpx.AsyncClient(base_url=base, headers=PM) as pm:

        async def alpha_on_next_step():  # type: ignore[no-untyped-def]
            progress = (await pm.get(f"/api/v1/cohorts/{cohort_id}/progress")).json()
            alpha = next(p for p in progress["partners"] if p["name"] == "Alpha Analytics")
            return progress if alpha["current_step"] == "rules" and alpha["status"] == "waiting" else None

        progress = await until(alpha_on_next_step)
        beta = next(p for p in progress["partners"] if p["name"] == "Beta Builders")
        assert beta["current_step"] == "icp"
        alpha = next(p for p in progress["partners"] if p["name"] == "Alpha Analytics")
        assert alpha["readiness_score"] == 25
        icp = next(s for s in progress["steps"] if s["step_key"] == "icp")
        assert (icp["completed"], icp["open"]) == (1, 1)


async def test_partner_completes_a_step_from_the_emailed_link(
    dev_env: WorkflowEnvironment, sessions: SessionFactory
) -> None:
    port = free_port()
    settings = settings_for(sessions, api_port=port, public_base_url=f"http://127.0.0.1:{port}")
    async with running_worker(dev_env.client, settings, sessions), serving(settings, dev_env) as base:
        async with httpx.AsyncClient(base_url=base, headers=PM) as pm:
            body = cohort_body([partner("Alpha Analytics", "ISV"), partner("Beta Builders", "SI")])
            cohort = (await pm.post("/api/v1/cohorts", json=body)).json()

            async def two_invites():  # type: ignore[no-untyped-def]
                messages = (await pm.get("/dev/inbox/messages")).json()
                return messages if len(messages) == 2 else None

            inbox = {m["to"].split("<")[1].rstrip(">"): m for m in await until(two_invites)}
            inbox_page = await pm.get("/dev/inbox")
            link = inbox["alliances@alpha-analytics.example"]["links"][0]
            other_link = inbox["alliances@beta-builders.example"]["links"][0]
            assert link in inbox_page.text

        async with httpx.AsyncClient(follow_redirects=True) as browser:
            page = await browser.get(link)
            assert page.status_code == 200 and "Describe your ideal customer" in page.text
            assert page.headers["referrer-policy"] == "no-referrer" and page.headers["cache-control"] == "no-store"
            hidden = form_fields(page.text)

            forged = await browser.post(link, data={**hidden, "csrf": "forged"})
            assert forged.status_code == 403

            answers = {"industry": "Healthcare", "company_size": "lots", "trigger": "Exiting their data centre in 2027"}
            invalid = await browser.post(link, data={**hidden, **answers})
            assert invalid.status_code == 422
            assert "must be a number" in invalid.text and 'value="lots"' in invalid.text
            assert "Exiting their data centre in 2027" in invalid.text  # what they typed is kept

            fixed = await browser.post(link, data={**form_fields(invalid.text), **answers, "company_size": "800"})
            assert fixed.status_code == 200 and fixed.url.path == "/p/done", fixed.text  # 303 to a token-free URL
            assert "is complete" in fixed.text and "Read the co-sell rules of engagement" in fixed.text

            twice = await browser.post(link, data={**form_fields(invalid.text), **answers, "company_size": "900"})
            assert twice.status_code == 409 and "already completed" in twice.text and "800" in twice.text
            revisit = await browser.get(link)
            assert "already completed" in revisit.text

            await only_its_own_link_opens(browser, base, settings, cohort["id"], link, other_link)

        await only_alpha_moved_on(base, cohort["id"])
