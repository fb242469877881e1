"""Link-page visits: a partner's GET of a step page is recorded once a day; scanner prefetches are not."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from db.intel_models import StepVisit
from db.repositories import partner_facts, visits
from db.session import SessionFactory, transaction
from domain.intel.assess import assess
from domain.links import StepClaims
from domain.visits import not_a_visit
from tests.api.helpers import api_client
from tests.api.test_partner_signals import DAY, T0, recorded_partner
from tests.factories import settings_for
from wiring import make_signer

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
SAFE_LINKS = CHROME.replace("Chrome/", "HeadlessChrome/")
PROOFPOINT = "Mozilla/5.0 (compatible; Proofpoint URL Defense)"


class TestTheRule:
    @pytest.mark.parametrize(
        ("method", "agent", "why"),
        [
            ("HEAD", CHROME, "HEAD request (link checker or scanner)"),
            ("GET", SAFE_LINKS, "user agent names 'headlesschrome'"),
            ("GET", PROOFPOINT, "user agent names 'proofpoint'"),
            ("GET", "Barracuda Sentinel (EE)", "user agent names 'barracuda'"),
            ("GET", "Mimecast-URL-Protect/2.0", "user agent names 'mimecast'"),
            ("GET", "", "no user agent"),
            ("GET", None, "no user agent"),
        ],
    )
    def test_scanner_prefetches_are_not_visits(self, method: str, agent: str | None, why: str) -> None:
        assert not_a_visit(method, agent) == why

    def test_a_browser_get_is_a_visit(self) -> None:
        assert not_a_visit("GET", CHROME) is None


async def rows(sessions: SessionFactory) -> list[StepVisit]:
    async with transaction(sessions) as session:
        return list(await session.scalars(select(StepVisit).order_by(StepVisit.step_key, StepVisit.day)))


class TestStepPage:
    async def test_a_get_records_one_visit_per_step_per_day(
        self, ts_env: WorkflowEnvironment, sessions: SessionFactory
    ) -> None:
        pid = await recorded_partner(sessions)
        async with transaction(sessions) as session:
            [facts] = (await partner_facts.load_many(session, [pid])).values()
        jid = facts.steps[0].journey_id
        settings = settings_for(sessions)
        signer = make_signer(settings)
        target = f"/p/{signer.sign_step(StepClaims(jid, 'target-account'))}"
        icp = f"/p/{signer.sign_step(StepClaims(jid, 'icp'))}"
        async with api_client(settings, ts_env.client) as client:
            for agent in (SAFE_LINKS, PROOFPOINT):
                assert (await client.get(target, headers={"User-Agent": agent})).status_code < 500
            await client.head(target, headers={"User-Agent": CHROME})
            assert await rows(sessions) == [], "scanner fetches recorded as visits"
            before = datetime.now(UTC)
            for _ in range(3):
                await client.get(target, headers={"User-Agent": CHROME})
            await client.get(icp, headers={"User-Agent": CHROME})
            after = datetime.now(UTC)
        found = await rows(sessions)
        assert [(r.journey_id, r.step_key, r.partner_id) for r in found] == [
            (jid, "icp", pid),
            (jid, "target-account", pid),
        ]
        assert all(before <= r.visited_at <= after and r.day == r.visited_at.date() for r in found), found


class TestVisitsAsBehavior:
    async def test_first_visit_is_the_steps_first_sight(self, sessions: SessionFactory) -> None:
        pid = await recorded_partner(sessions)
        async with transaction(sessions) as session:
            facts = await partner_facts.load_one(session, pid)
        assert facts is not None
        jid = facts.steps[0].journey_id
        unseen = assess(facts, T0 + 14 * DAY)
        async with transaction(sessions) as session:
            # The target account was invited at T0 + 7 days and never clicked; the ICP's click was at +6 h.
            assert await visits.record(session, jid, "target-account", pid, (T0 + 8 * DAY).date(), T0 + 8 * DAY)
            assert not await visits.record(session, jid, "target-account", pid, (T0 + 8 * DAY).date(), T0 + 9 * DAY)
            assert await visits.record(session, jid, "target-account", pid, (T0 + 9 * DAY).date(), T0 + 9 * DAY)
            assert await visits.record(session, jid, "icp", pid, T0.date(), T0 + DAY / 24)
            seen = await partner_facts.load_one(session, pid)
        assert seen is not None
        first = {s.step_key: s.first_seen_at for s in seen.steps}
        assert (first["target-account"], first["icp"]) == (T0 + 8 * DAY, T0 + DAY / 24)
        judged = assess(seen, T0 + 14 * DAY)
        reasons = [i.reason for i in judged.behavior.items if i.source == "step target-account"]
        before = [i.reason for i in unseen.behavior.items if i.source == "step target-account"]
        assert any(": opened 1 day after the invite, overdue" in r for r in reasons), reasons
        assert any(": never opened, overdue" in r for r in before), before
        assert judged.behavior.value > unseen.behavior.value
