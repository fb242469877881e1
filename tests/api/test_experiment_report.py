"""A cohort's experiment report from seeded data: per variant, partners given it, steps completed on time,
intros accepted, deals registered and the median days to the first deal, each with its counts; outcomes
from before a partner's assignment are not counted. Through the API and the dashboard page."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from api.dashboard.users import create as create_user
from db.cosell_models import Deal, IntroRequest
from db.experiment_models import JourneyVariant
from db.models import Journey, JourneyStep
from db.session import SessionFactory, transaction
from tests.api.helpers import api_client
from tests.api.test_progress_pages import NO_TEMPORAL
from tests.dashboard_data import browser, dashboard_app, sign_in
from tests.deal_data import program_id
from tests.factories import create_cohort, partner, settings_for
from tests.intro_data import seed_crm
from tests.workflows.helpers import partner_ids

T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)
pytestmark = pytest.mark.timeout(90)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def step(jid: str, key: str, invited: float, due: float, done: float | None, status: str = "") -> JourneyStep:
    status = status or ("completed" if done is not None else "invited")
    completed = day(done) if done is not None else None
    return JourneyStep(journey_id=jid, step_key=key, stage="awareness", play_key="p", status=status,
                       invited_at=day(invited), due_at=day(due), completed_at=completed)  # fmt: skip


async def seed(sessions: SessionFactory) -> str:
    """Alpha and Beta got `formal`, Gamma and Delta `casual`, all at T0."""
    names = ("Alpha", "Beta", "Delta", "Gamma")
    cohort = await create_cohort(sessions, [partner(n) for n in names], starts_at=T0)
    pids = dict(zip(names, await partner_ids(sessions, cohort.id), strict=True))  # both in name order
    crm, program = await seed_crm(sessions), await program_id(sessions)
    ae, account = next(iter(crm.ae_ids.values())), next(iter(crm.account_ids.values()))
    jid = {n: f"journey/{cohort.id}/{pid}" for n, pid in pids.items()}
    async with transaction(sessions) as session:
        for n, pid in pids.items():
            session.add(Journey(id=jid[n], cohort_id=cohort.id, partner_id=pid, stage="awareness", status="active",
                                started_at=day(-5), updated_at=T0))  # fmt: skip
        await session.flush()
        for n, variant in (("Alpha", "formal"), ("Beta", "formal"), ("Gamma", "casual"), ("Delta", "casual")):
            session.add(JourneyVariant(journey_id=jid[n], experiment="tone", variant=variant, cohort_id=cohort.id,
                                       partner_id=pids[n], stage="awareness", step_key="s1",
                                       assigned_at=T0))  # fmt: skip
        session.add_all([
            step(jid["Alpha"], "before", -4, -1, -2),  # before the assignment: not counted
            step(jid["Alpha"], "s1", 0, 5, 2),  # on time
            step(jid["Alpha"], "s2", 5, 10, 12),  # late
            step(jid["Beta"], "s1", 0, 5, None, "overdue"),
            step(jid["Beta"], "s2", 5, 400, None),  # open, not due yet: not counted
            step(jid["Gamma"], "s1", 0, 5, 1),
        ])  # fmt: skip
        for n, status, at in (("Alpha", "accepted", 3), ("Alpha", "declined", 4), ("Gamma", "accepted", 3),
                              ("Gamma", "accepted", -1), ("Delta", "sent", 6)):  # fmt: skip
            session.add(IntroRequest(id=str(uuid.uuid4()), journey_id=jid[n], step_key=f"intro{at}", partner_id=pids[n],
                                     vendor_account_id=account, ae_id=ae, reason="r", status=status,
                                     requested_at=day(at)))  # fmt: skip
        for n, at in (("Alpha", 20), ("Alpha", 10), ("Beta", -3), ("Gamma", 4), ("Delta", 8)):
            session.add(Deal(id=str(uuid.uuid4()), program_id=program, partner_id=pids[n], cohort_id=cohort.id,
                             account_name="Contoso", account_key=f"contoso-{n}-{at}", source="partner",
                             partner_role="sourced", registered_at=day(at)))  # fmt: skip
        await create_user(session, "root@admin.example", "Root", "admin", [])
    return cohort.id


EXPECTED = {
    "formal": {
        "partners": 2,
        "steps_on_time": {"n": 1, "of": 3},
        "intros_accepted": {"n": 1, "of": 2},
        "deals_registered": {"n": 1, "of": 2},  # Beta's deal came before its assignment
        "median_days_to_first_deal": 10.0,  # Alpha's first deal since, not its later one
    },
    "casual": {
        "partners": 2,
        "steps_on_time": {"n": 1, "of": 1},
        "intros_accepted": {"n": 1, "of": 2},
        "deals_registered": {"n": 2, "of": 2},
        "median_days_to_first_deal": 6.0,  # 4 and 8 days
    },
}


async def test_the_report_counts_outcomes_since_assignment(sessions: SessionFactory) -> None:
    cohort_id = await seed(sessions)
    async with api_client(settings_for(sessions), NO_TEMPORAL) as api:
        found = await api.get(f"/api/v1/cohorts/{cohort_id}/experiments")
        assert (await api.get("/api/v1/cohorts/nope/experiments")).status_code == 404
    assert found.status_code == 200, found.text
    [tone] = found.json()["experiments"]
    assert tone["key"] == "tone"
    assert {v.pop("variant"): v for v in tone["variants"]} == EXPECTED


async def test_the_dashboard_page_shows_every_figure_with_its_counts(sqlite_sessions: SessionFactory) -> None:
    cohort_id = await seed(sqlite_sessions)
    async with dashboard_app(settings_for(sqlite_sessions), NO_TEMPORAL) as app, browser(app) as root:
        await sign_in(root, "root@admin.example")
        board = (await root.get(f"/cohorts/{cohort_id}")).text
        html = (await root.get(f"/cohorts/{cohort_id}/experiments")).text
    assert f'href="/cohorts/{cohort_id}/experiments"' in board
    rows = {r.split("</th>")[0]: r for r in html.split('<th scope="row">')[1:]}
    assert "<td>1/3 (33%)</td><td>1/2 (50%)</td><td>1/2 (50%) partners</td>" in rows["formal"]
    assert '10.0 days <span class="muted">(1 partner with a deal)' in rows["formal"]
    assert "<td>1/1 (100%)</td><td>1/2 (50%)</td><td>2/2 (100%) partners</td>" in rows["casual"]
    assert '6.0 days <span class="muted">(2 partners with a deal)' in rows["casual"]
