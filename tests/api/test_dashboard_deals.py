"""The Deals page: the manager's deals only, filtered and paged; a conflict resolved and a stage moved from the
pages through the API's own services (audited as the signed-in user), an illegal move answered with the 409's
words; signed out, another manager's program and a forged or missing CSRF token are refused."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from api.dashboard import deal_pages
from db.cosell_models import Deal
from db.models import AuditLog
from db.session import SessionFactory, transaction
from tests.api.helpers import PM
from tests.dashboard_data import browser, csrf_of, dashboard_app, member_ids, sign_in, two_programs
from tests.factories import create_cohort, partner, settings_for

pytestmark = pytest.mark.timeout(90)


async def register(app: FastAPI, program: str, partner_id: str, account: str, domain: str) -> str:
    body: dict[str, Any] = {"program": program, "partner_id": partner_id, "account_name": account}
    body |= {"account_domain": domain, "partner_role": "sourced", "amount": 50000}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t", headers=PM) as api:
        made = await api.post("/api/v1/deals", json=body)
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


async def deals(app: FastAPI, sessions: SessionFactory) -> tuple[str, str, str, str]:
    """Alpha and Gamma (Program A) both register Contoso: a conflict; Beta (Program B) registers Fabrikam."""
    ids = await two_programs(sessions)
    gamma = await create_cohort(sessions, [partner("Gamma Growth")], program="Program A", name="Cohort A2")
    [gamma_id] = await member_ids(sessions, gamma.id)
    alpha = await register(app, "Program A", ids.partner_a, "Contoso", "contoso.example")
    other = await register(app, "Program A", gamma_id, "Contoso Ltd", "contoso.example")
    beta = await register(app, "Program B", ids.partner_b, "Fabrikam", "fabrikam.example")
    return alpha, other, beta, ids.partner_a


async def audits(sessions: SessionFactory, action: str) -> list[tuple[str, dict[str, Any]]]:
    async with transaction(sessions) as session:
        rows = await session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id))
        return [(r.actor, r.detail) for r in rows]


async def stage_of(sessions: SessionFactory, deal_id: str) -> tuple[str, str | None]:
    async with transaction(sessions) as session:
        deal = await session.get(Deal, deal_id)
        assert deal is not None
        return deal.stage, deal.conflict


def listed(html: str) -> str:
    return html.split('id="all-deals"', 1)[1]


async def test_the_deals_page_lists_filters_and_pages_the_managers_deals_only(
    dev_env: WorkflowEnvironment, sqlite_sessions: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """About 5 s on a loaded machine: two managers sign in by emailed link and some fifteen pages render;
    split up, each part would pay for the sign-ins and the programs' set-up again."""
    async with dashboard_app(settings_for(sqlite_sessions), dev_env.client) as app:
        alpha, gamma, beta, alpha_partner = await deals(app, sqlite_sessions)
        async with browser(app) as anon:
            signed_out = await anon.get("/deals", params={"stage": "registered"})
            assert signed_out.status_code == 303
            assert signed_out.headers["location"] == "/signin?next=/deals%3Fstage%3Dregistered"
            refused = await anon.post(f"/deals/{alpha}/resolve", data={"csrf": "x", "reason": "mine"})
            assert refused.status_code == 303 and refused.headers["location"] == "/signin?next=/"
        async with browser(app) as bob:
            await sign_in(bob, "bob@b.example")
            html = (await bob.get("/deals")).text
            assert "Fabrikam" in listed(html) and "Contoso" not in html and "No open conflicts" in html
            assert (await bob.get(f"/deals/{alpha}")).status_code == 404
            token = csrf_of(html)
            for action, form in (("resolve", {"reason": "it is mine"}), ("stage", {"stage": "accepted"})):
                assert (await bob.post(f"/deals/{alpha}/{action}", data={"csrf": token, **form})).status_code == 404
        async with browser(app) as ann:
            await sign_in(ann, "ann@a.example")
            html = (await ann.get("/deals")).text
            assert 'href="/deals" aria-current="page"' in html and 'href="/imports"' in html
            conflicts = html.split('id="conflicts"', 1)[1].split('id="all-deals"', 1)[0]
            assert f'action="/deals/{alpha}/resolve"' in conflicts and f'action="/deals/{gamma}/resolve"' in conflicts
            assert "Also registered by: Gamma Growth" in conflicts
            assert "Fabrikam" not in html and f"/deals/{beta}" not in html

            async def shown(**params: str) -> list[str]:
                page = listed((await ann.get("/deals", params=params)).text)
                found = [d for d in (alpha, gamma) if f'href="/deals/{d}"' in page]
                return sorted(found, key=lambda d: page.index(d))  # in the page's order

            assert await shown() == [gamma, alpha]  # newest first
            assert await shown(partner=alpha_partner) == [alpha]
            assert await shown(conflict="1", stage="registered", source="pm") == [gamma, alpha]
            assert await shown(source="crm") == [] and await shown(stage="accepted") == []
            partner_page = (await ann.get(f"/partners/{alpha_partner}")).text
            assert f'href="/deals?partner={alpha_partner}"' in partner_page

            monkeypatch.setattr(deal_pages, "PAGE_SIZE", 1)
            first = listed((await ann.get("/deals")).text)
            assert f'href="/deals/{gamma}"' in first and f'href="/deals/{alpha}"' not in first
            assert f"before={gamma}" in first
            second = listed((await ann.get("/deals", params={"before": gamma})).text)
            assert f'href="/deals/{alpha}"' in second and "Older deals" not in second


async def test_a_manager_resolves_a_conflict_and_moves_a_stage_from_the_pages(
    dev_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
) -> None:
    async with dashboard_app(settings_for(sqlite_sessions), dev_env.client) as app, browser(app) as ann:
        alpha, gamma, _, _ = await deals(app, sqlite_sessions)
        await sign_in(ann, "ann@a.example")
        token = csrf_of((await ann.get("/deals")).text)
        resolve = {"csrf": token, "others": "reject", "reason": "Alpha introduced Contoso in September"}
        assert (await ann.post(f"/deals/{alpha}/resolve", data={**resolve, "csrf": "forged"})).status_code == 403
        assert (await ann.post(f"/deals/{alpha}/resolve", data={"reason": "no token"})).status_code == 403
        short = await ann.post(f"/deals/{alpha}/resolve", data={**resolve, "reason": "no"})
        assert short.status_code == 422 and "reason" in short.text
        assert await audits(sqlite_sessions, "deal_conflict_resolved") == []

        done = await ann.post(f"/deals/{alpha}/resolve", data=resolve)
        assert done.status_code == 303 and done.headers["location"] == "/deals?done=resolved"
        [(actor, detail)] = await audits(sqlite_sessions, "deal_conflict_resolved")
        assert (actor, detail["kept"], detail["rejected"]) == ("user:ann@a.example", alpha, [gamma])
        assert await stage_of(sqlite_sessions, gamma) == ("rejected", "resolved")
        after = (await ann.get("/deals?done=resolved")).text
        assert "Conflict resolved" in after and "No open conflicts" in after
        again = await ann.post(f"/deals/{alpha}/resolve", data=resolve)
        assert again.status_code == 409 and "has no open conflict" in again.text

        page = (await ann.get(f"/deals/{alpha}")).text
        offered = page.split('id="stage"', 1)[1].split("</select>", 1)[0]
        assert 'value="accepted"' in offered and 'value="rejected"' in offered and 'value="open"' not in offered
        illegal = await ann.post(f"/deals/{alpha}/stage", data={"csrf": token, "stage": "open"})
        assert illegal.status_code == 409
        assert "a deal cannot move from registered to open; from registered it can move to: accepted, rejected" in (
            illegal.text
        )
        no_reason = await ann.post(f"/deals/{alpha}/stage", data={"csrf": token, "stage": "rejected"})
        assert no_reason.status_code == 422 and "reason" in no_reason.text
        assert await stage_of(sqlite_sessions, alpha) == ("registered", "resolved")

        moved = await ann.post(f"/deals/{alpha}/stage", data={"csrf": token, "stage": "accepted"})
        assert moved.status_code == 303 and moved.headers["location"] == f"/deals/{alpha}?done=moved"
        assert await stage_of(sqlite_sessions, alpha) == ("accepted", "resolved")
        [(actor, detail)] = await audits(sqlite_sessions, "deal_updated")
        assert actor == "user:ann@a.example" and detail["changes"] == {"stage": ["registered", "accepted"]}
        offered = (await ann.get(f"/deals/{alpha}")).text.split('id="stage"', 1)[1].split("</select>", 1)[0]
        assert [s for s in ("open", "closed_won", "closed_lost", "rejected", "accepted") if f'"{s}"' in offered] == [
            "open", "closed_won", "closed_lost", "rejected"
        ]  # fmt: skip
        assert "which is final: it cannot move" in (await ann.get(f"/deals/{gamma}")).text
