"""The Tiers page: partners by tier with their classification, the last review's movements, a review button;
signed out, another manager's program and a forged form are refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update
from temporalio.testing import WorkflowEnvironment

from api.dashboard import tier_pages
from db.intel_models import TierMovement, TierReview
from db.models import AuditLog, Partner
from db.session import SessionFactory, transaction
from db.views import dashboard
from tests.dashboard_data import Programs, browser, csrf_of, dashboard_app, sign_in, two_programs
from tests.factories import create_cohort, partner, settings_for

AT = datetime(2026, 11, 1, 9, tzinfo=UTC)
pytestmark = pytest.mark.timeout(90)


async def reviewed(sessions: SessionFactory, ids: Programs) -> str:
    """Alpha was promoted to tier 1 by program A's November review."""
    async with transaction(sessions) as session:
        program_id = await dashboard.program_of_cohort(session, ids.cohort_a)
        assert program_id
        promoted = update(Partner).where(Partner.id == ids.partner_a).values(tier=1, classification="on_track")
        await session.execute(promoted)
        rid = f"{program_id}/2026-11"
        session.add(TierReview(id=rid, program_id=program_id, period="2026-11", as_of=AT, status="done", partners=1,
                               movements=1, started_at=AT))  # fmt: skip
        await session.flush()
        session.add(TierMovement(review_id=rid, partner_id=ids.partner_a, previous_tier=3, new_tier=1,
                                 move="promoted", reasons=["two co-sell deals won"], rubric="default",
                                 at=AT))  # fmt: skip
    return program_id


def by_tier(html: str) -> str:
    return html.split('id="by-tier"', 1)[1]


async def test_tiers_page_shows_tiers_and_movements_to_its_manager_only(
    dev_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
) -> None:
    ids = await two_programs(sqlite_sessions)
    program_a = await reviewed(sqlite_sessions, ids)
    path = f"/programs/{program_a}/tiers"
    async with dashboard_app(settings_for(sqlite_sessions), dev_env.client) as app:
        async with browser(app) as anon:
            assert (await anon.get(path)).status_code == 303
            refused = await anon.post(f"{path}/review", data={"csrf": "x"})
            assert refused.status_code == 303 and refused.headers["location"] == "/signin?next=/"
        async with browser(app) as bob:
            await sign_in(bob, "bob@b.example")
            assert (await bob.get(path)).status_code == 404
            token = csrf_of((await bob.get("/cohorts")).text)
            assert (await bob.post(f"{path}/review", data={"csrf": token})).status_code == 404
        async with browser(app) as ann:
            await sign_in(ann, "ann@a.example")
            html = (await ann.get(path)).text
            assert "Alpha Analytics" in html and "Beta Builders" not in html
            assert "Tier 3 → Tier 1 (promoted)" in html and "two co-sell deals won" in html
            assert "Review 2026-11 (done)" in html
            assert "Alpha Analytics" in by_tier(html)
            assert "<td>on track</td>" in by_tier(html)
            for other in ({"tier": "2"}, {"tier": "", "classification": "at_risk"}):
                assert "Alpha Analytics" not in by_tier((await ann.get(path, params=other)).text), other
            both = {"tier": "1", "classification": "on_track"}
            assert "Alpha Analytics" in by_tier((await ann.get(path, params=both)).text)
            forged = await ann.post(f"{path}/review", data={"csrf": "forged"})
            assert forged.status_code == 403
            started = await ann.post(f"{path}/review", data={"csrf": csrf_of(html)})
            assert started.status_code == 303 and started.headers["location"] == f"{path}?done=review"
    async with transaction(sqlite_sessions) as session:
        audits = (await session.execute(select(AuditLog.actor, AuditLog.detail).where(
            AuditLog.action == "tier_review_started"))).all()  # fmt: skip
    assert [(a, d["program_id"]) for a, d in audits] == [("user:ann@a.example", program_a)]


async def test_tiers_page_is_paginated(
    dev_env: WorkflowEnvironment, sqlite_sessions: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tier_pages, "PAGE_SIZE", 2)
    ids = await two_programs(sqlite_sessions)
    await create_cohort(sqlite_sessions, [partner(f"Gamma {i}") for i in range(3)], program="Program A", name="C2")
    async with transaction(sqlite_sessions) as session:
        program_a = await dashboard.program_of_cohort(session, ids.cohort_a)
    path = f"/programs/{program_a}/tiers"
    async with dashboard_app(settings_for(sqlite_sessions), dev_env.client) as app, browser(app) as ann:
        await sign_in(ann, "ann@a.example")
        pages = [(await ann.get(path, params={"page_no": n})).text for n in (1, 2, 3)]
    names = ["Alpha Analytics", "Gamma 0", "Gamma 1", "Gamma 2"]
    assert [[n for n in names if f">{n}<" in by_tier(html)] for html in pages] == [names[:2], names[2:], []]
    assert "Next page" in pages[0] and "Next page" not in pages[1]
