"""SIGKILL the worker while it launches a window, restart it: every journey starts once, every invite is
sent once (counted at the provider), nothing is left pending."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from tests.chaos.processes import PrivatePostgres, TemporalDevServer
from tests.chaos.stack import report, stack
from tests.waiting import eventually

pytestmark = [pytest.mark.chaos, pytest.mark.e2e]
PARTNERS = 100


@pytest.mark.timeout(240)
async def test_worker_killed_mid_launch(
    chaos_postgres: PrivatePostgres, chaos_temporal: TemporalDevServer, tmp_path: Path
) -> None:
    began = time.monotonic()
    async with stack(chaos_postgres, chaos_temporal, tmp_path) as s:
        cohort = await s.launch(PARTNERS)

        async def some_sent() -> bool:
            return len(s.fake.requests) >= PARTNERS // 3

        await eventually(some_sent, what=f"{PARTNERS // 3} invites at the provider", within=120, interval=0.01)
        s.worker.kill()
        at_kill = len(s.fake.requests)
        s.worker.start()

        invites = await s.invites_settled(PARTNERS)

        async def every_journey_listed() -> Counter[str]:
            runs = await s.journey_runs(cohort["id"])
            assert len(runs) == PARTNERS, f"{len(runs)} journeys listed"
            return runs

        runs = await eventually(every_journey_listed, what="journeys listed", within=30, interval=0.5)

    requests = s.provider_requests()
    statuses = Counter(r.status for r in invites)
    unknown_unsent = [r.id for r in invites if r.status == "unknown" and requests[r.id] == 0]
    report(
        f"worker kill: {PARTNERS} partners, killed after {at_kill} provider requests; "
        f"journeys {len(runs)} (max runs per id {max(runs.values())}); invites {len(invites)} {dict(statuses)}; "
        f"provider requests {sum(requests.values())} for {len(requests)} rows "
        f"(max per row {max(requests.values())}); "
        f"claimed but never sent {len(unknown_unsent)}; {time.monotonic() - began:.1f}s"
    )
    assert set(runs.values()) == {1}  # every journey started once
    assert len({r.journey_id for r in invites}) == PARTNERS  # one invite per journey
    assert max(requests.values()) == 1  # no email twice at the provider
    assert set(requests) <= {r.id for r in invites}
    # Every invite the provider never received is flagged, never silently lost: a claim whose worker died
    # before or during the request is `unknown` (SendGrid has no idempotency key, so it is not resent).
    assert all(r.status == "unknown" for r in invites if not requests[r.id])
    assert all(requests[r.id] == 1 for r in invites if r.status == "sent")
