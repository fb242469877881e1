"""The charts on the dashboard's pages, from known data: the board's stage and step funnels and its time to
first deal, the Tiers page's mix after each review, the partner's signals at each tier movement and today.
Each is an image with a name and its numbers in a table; another manager still gets a 404."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import update
from temporalio.testing import WorkflowEnvironment

from db.cosell_models import Deal
from db.intel_models import TierMovement, TierReview
from db.models import Cohort, Partner
from db.session import SessionFactory, transaction
from tests.dashboard_data import browser, dashboard_app, sign_in, two_programs
from tests.factories import settings_for

SIGNALS = {"gtm_readiness": 10, "proven_capability": 0, "early_traction": 5, "field_advocacy": 0, "behavior": 40}


def figure(html: str, chart_id: str) -> str:
    start = html.index(f'aria-labelledby="{chart_id}-t {chart_id}-d"')
    return html[start : html.index("</figure>", start)]


def bars(svg: str) -> list[str]:
    return re.findall(r'<rect class="bar ', svg)


async def test_charts_draw_the_pages_numbers(dev_env: WorkflowEnvironment, sqlite_sessions: SessionFactory) -> None:
    ids = await two_programs(sqlite_sessions)
    async with transaction(sqlite_sessions) as session:
        cohort = await session.get(Cohort, ids.cohort_a)
        assert cohort is not None
        program_id, start = cohort.program_id, cohort.starts_at
        session.add(Deal(id="d1", program_id=program_id, partner_id=ids.partner_a, cohort_id=cohort.id,
                         account_name="Acme", account_key="acme.example", source="pm", partner_role="sourced",
                         registered_at=start + timedelta(days=10)))  # fmt: skip
        for n, period in enumerate(("2026-09", "2026-10")):
            at = start + timedelta(days=30 * n)
            session.add(TierReview(id=f"{program_id}/{period}", program_id=program_id, period=period, as_of=at,
                                   status="done", partners=1, movements=1, started_at=at))  # fmt: skip
        await session.flush()
        for n, (period, before, after) in enumerate((("2026-09", 3, 2), ("2026-10", 2, 1))):
            session.add(TierMovement(review_id=f"{program_id}/{period}", partner_id=ids.partner_a,
                                     previous_tier=before, new_tier=after, move="promoted", reasons=[],
                                     signals={**SIGNALS, "behavior": 40 + n}, rubric="default",
                                     at=start + timedelta(days=30 * n)))  # fmt: skip
        await session.execute(update(Partner).where(Partner.id == ids.partner_a).values(tier=1))
    async with dashboard_app(settings_for(sqlite_sessions), dev_env.client) as app:
        async with browser(app) as bob:
            await sign_in(bob, "bob@b.example")
            for path in (f"/cohorts/{ids.cohort_a}", f"/programs/{program_id}/tiers", f"/partners/{ids.partner_a}"):
                assert (await bob.get(path)).status_code == 404, path
        async with browser(app) as ann:
            await sign_in(ann, "ann@a.example")
            board = (await ann.get(f"/cohorts/{ids.cohort_a}")).text
            tiers = (await ann.get(f"/programs/{program_id}/tiers")).text
            partner = (await ann.get(f"/partners/{ids.partner_a}")).text

    stage = figure(board, "stage-funnel")
    assert 'role="img"' in board and '<title id="stage-funnel-t">Partners in each stage</title>' in stage
    assert len(bars(stage)) == stage.count('<th scope="row">') == 3  # quickstart's three stages
    step = figure(board, "step-funnel")
    step_rows = len(re.findall(r"<tr><td>", board.split('id="steps"', 1)[1].split("</table>", 1)[0]))
    assert step_rows > 0 and len(bars(step)) == 3 * step_rows  # invited, completed, overdue per step
    first = figure(board, "first-deal")
    assert len(bars(first)) == 10  # eight weeks, later, none yet
    assert '<th scope="row">week 2</th><td>1</td>' in first and '<th scope="row">no deal yet</th><td>0</td>' in first

    mix = figure(tiers, "tier-mix")
    assert len(bars(mix)) == 2 * 3  # two reviews, three tiers each
    rows = re.findall(r'<th scope="row">([^<]+)</th><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td>', mix)
    assert rows == [("2026-09", "0", "1", "0"), ("2026-10", "1", "0", "0")]

    signals = figure(partner, "signals-chart")
    assert len(re.findall(r"<circle ", signals)) == 3 * 5  # two movements and today, five values each
    assert len(re.findall(r"<polyline ", signals)) == 5
    assert "cosell keeps no score history" in partner
