"""Restart the Temporal dev server (on-disk) mid-window: the window's start timer fires after the restart,
journeys continue through a second restart while they send their invites, and nothing is doubled."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.chaos.browsing import Answers, PartnerBrowser, step_link
from tests.chaos.processes import PrivatePostgres, TemporalDevServer
from tests.chaos.stack import report, stack
from tests.waiting import eventually

pytestmark = [pytest.mark.chaos, pytest.mark.e2e]
PARTNERS = 20
START_IN = timedelta(seconds=12)  # the window's start timer is pending across the first restart


@pytest.mark.timeout(400)
async def test_temporal_restarted_mid_window(
    chaos_postgres: PrivatePostgres, chaos_temporal: TemporalDevServer, tmp_path: Path
) -> None:
    began = time.monotonic()
    async with stack(chaos_postgres, chaos_temporal, tmp_path) as s, s.pm() as pm:
        starts_at = datetime.now(UTC) + START_IN
        cohort = await s.launch(PARTNERS, starts_at=starts_at.isoformat())

        async def scheduled() -> bool:
            return (await pm.get(f"/api/v1/cohorts/{cohort['id']}")).json()["status"] == "scheduled"

        await eventually(scheduled, what="the window waiting for its start")
        chaos_temporal.restart()  # 1: while the start timer is pending
        assert datetime.now(UTC) < starts_at, "the restart outlasted the start timer; raise START_IN"

        async def some_sent() -> bool:
            return len(s.fake.requests) >= PARTNERS // 4

        await eventually(some_sent, what="the timer fired and invites go out", within=90, interval=0.05)
        chaos_temporal.restart()  # 2: while journeys start and send their invites
        restarted_at_requests = len(s.fake.requests)
        invites = await s.invites_settled(PARTNERS)

        async def every_journey_listed() -> Counter[str]:
            runs = await s.journey_runs(cohort["id"])
            assert len(runs) == PARTNERS, f"{len(runs)} journeys listed"
            return runs

        runs = await eventually(every_journey_listed, what="journeys listed", within=30, interval=0.5)
        partner_id = invites[0].journey_id.rsplit("/", 1)[1]
        browser = PartnerBrowser(step_link(s.settings, cohort["id"], partner_id), Answers())
        completed = await browser.complete()  # a journey still takes its partner's answer
        await browser.close()
        rules = await s.invites_settled(1, step_key="rules")

    requests = s.provider_requests()
    report(
        f"temporal restart: {PARTNERS} partners, restarted while the start timer was pending and again after "
        f"{restarted_at_requests} provider requests; journeys {len(runs)} (max runs per id {max(runs.values())}); "
        f"invites {len(invites)} {dict(Counter(r.status for r in invites))}; a step after the restarts: "
        f"{completed}, next invites {len(rules)}; provider requests {sum(requests.values())} for {len(requests)} "
        f"rows; {time.monotonic() - began:.1f}s"
    )
    assert set(runs.values()) == {1}
    assert len({r.journey_id for r in invites}) == PARTNERS and completed == "done"
    assert max(requests.values()) == 1 and sum(requests.values()) == PARTNERS + 1
