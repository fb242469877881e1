"""Stop Postgres while partners submit steps and the PM reads progress: the API answers 503 with
Retry-After (never 500), no completion is lost or doubled, and everything resumes by itself."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.chaos.browsing import Answers, PartnerBrowser, poll_progress, step_link
from tests.chaos.processes import PrivatePostgres, TemporalDevServer
from tests.chaos.stack import report, stack
from tests.waiting import eventually

pytestmark = [pytest.mark.chaos, pytest.mark.e2e]
PARTNERS = 12
BEFORE = 4  # partners who complete before the outage; the others submit during it
OUTAGE_SECONDS = 30.0


async def outage_while_submitting(
    postgres: PrivatePostgres,
    browsers: list[PartnerBrowser],
    forms: list[dict[str, str]],
    pm: Answers,
) -> tuple[list[asyncio.Task[str]], float]:
    """Postgres stops; the partners submit their open forms and are refused (503) until it is back."""
    page = browsers[0].answers
    down_at = time.monotonic()
    postgres.stop()
    try:
        submits = [asyncio.create_task(b.post(f)) for b, f in zip(browsers, forms, strict=True)]

        async def everyone_refused() -> bool:
            assert page.statuses[503] >= len(browsers), dict(page.statuses)
            assert pm.statuses[503] >= 1, dict(pm.statuses)
            return True

        await eventually(everyone_refused, what="503s while Postgres is down", within=OUTAGE_SECONDS)
        assert not any(t.done() for t in submits), "a submission was answered for good while Postgres was down"
        await asyncio.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - down_at)))  # the outage lasts
    finally:
        postgres.start()
    return submits, time.monotonic() - down_at


@pytest.mark.timeout(400)
async def test_postgres_stopped_while_partners_submit(
    chaos_postgres: PrivatePostgres, chaos_temporal: TemporalDevServer, tmp_path: Path
) -> None:
    began = time.monotonic()
    async with stack(chaos_postgres, chaos_temporal, tmp_path) as s, s.pm() as pm:
        cohort = await s.launch(PARTNERS)
        await s.invites_settled(PARTNERS)
        partners = (await pm.get(f"/api/v1/cohorts/{cohort['id']}/progress")).json()["partners"]
        page_answers, pm_answers = Answers(), Answers()
        links = [step_link(s.settings, cohort["id"], p["partner_id"]) for p in partners]
        browsers = [PartnerBrowser(link, page_answers) for link in links]
        for browser in browsers[:BEFORE]:
            assert await browser.complete() == "done"
        forms = [await b.open() for b in browsers[BEFORE:]]  # pages open in the partners' browsers

        stop_polling = asyncio.Event()
        polling = asyncio.create_task(poll_progress(pm, cohort["id"], pm_answers, stop_polling))
        submits, outage = await outage_while_submitting(chaos_postgres, browsers[BEFORE:], forms, pm_answers)
        outcomes = Counter(await asyncio.wait_for(asyncio.gather(*submits), timeout=120))

        async def all_completed() -> bool:
            progress = (await pm.get(f"/api/v1/cohorts/{cohort['id']}/progress")).json()
            icp = next(step for step in progress["steps"] if step["step_key"] == "icp")
            assert icp["completed"] == PARTNERS, icp
            return True

        await eventually(all_completed, what="every completion in progress", within=90, interval=0.5)
        stop_polling.set()
        await polling
        rules_invites = await s.invites_settled(PARTNERS, step_key="rules")
        completions = await s.completions("icp")
        for browser in browsers:
            await browser.close()

    requests = s.provider_requests()
    report(
        f"postgres outage: {PARTNERS} partners, {BEFORE} completed before, Postgres down {outage:.1f}s; "
        f"partner page answers {dict(page_answers.statuses)}, PM progress answers {dict(pm_answers.statuses)}; "
        f"submissions {dict(outcomes)}; completion events {sum(completions.values())} over {len(completions)} "
        f"journeys; next-step invites {len(rules_invites)} {dict(Counter(r.status for r in rules_invites))}; "
        f"provider requests {sum(requests.values())} for {len(requests)} rows; {time.monotonic() - began:.1f}s"
    )
    assert page_answers.statuses[500] == 0 and pm_answers.statuses[500] == 0
    assert page_answers.unavailable_without_retry_after == 0 and pm_answers.unavailable_without_retry_after == 0
    assert outcomes["done"] + outcomes["already"] == PARTNERS - BEFORE
    assert len(completions) == PARTNERS and set(completions.values()) == {1}
    assert len({r.journey_id for r in rules_invites}) == PARTNERS  # each moved on once
    assert max(requests.values()) == 1 and sum(requests.values()) == 2 * PARTNERS
