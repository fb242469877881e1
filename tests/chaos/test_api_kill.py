"""Kill the API in the middle of a step POST: the partner's retry gets "already done" or completes, and
the step is completed once, with one next invite."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path

import asyncpg
import pytest

from tests.chaos.browsing import Answers, PartnerBrowser, step_link
from tests.chaos.processes import PrivatePostgres, TemporalDevServer
from tests.chaos.stack import report, stack
from tests.waiting import eventually
from workflows.journey.workflow import PartnerJourneyWorkflow

pytestmark = [pytest.mark.chaos, pytest.mark.e2e]
PARTNERS = 3


async def waiting_on_lock(conn: asyncpg.Connection) -> bool:
    """Some other session of this database is blocked on our lock: the journey's projection is."""
    waiting = await conn.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    return bool(waiting)


@pytest.mark.timeout(400)
async def test_api_killed_mid_step_post(
    chaos_postgres: PrivatePostgres, chaos_temporal: TemporalDevServer, tmp_path: Path
) -> None:
    began = time.monotonic()
    async with stack(chaos_postgres, chaos_temporal, tmp_path) as s, s.pm() as pm:
        cohort = await s.launch(PARTNERS)
        await s.invites_settled(PARTNERS)
        [first, *_] = (await pm.get(f"/api/v1/cohorts/{cohort['id']}/progress")).json()["partners"]
        journey = f"journey/{cohort['id']}/{first['partner_id']}"
        answers = Answers()
        browser = PartnerBrowser(step_link(s.settings, cohort["id"], first["partner_id"]), answers)
        form = await browser.open()

        # Hold the timeline's writes, so the step's Update is inside the workflow when the API dies.
        lock = await asyncpg.connect(s.settings.database_url.replace("postgresql+asyncpg", "postgresql"))
        held = lock.transaction()
        await held.start()
        await lock.execute("LOCK TABLE journey_events IN SHARE MODE")
        posting = asyncio.create_task(browser.post(form))
        await eventually(lambda: waiting_on_lock(lock), what="the step's projection waiting on the lock")
        s.api.kill()
        await held.rollback()
        await lock.close()
        s.api.start()
        same_form = await asyncio.wait_for(posting, timeout=60)  # the browser's retry of the same POST
        fresh = PartnerBrowser(browser.link, answers)
        again = await fresh.complete()  # the partner opens the link again and submits once more
        invites = await s.invites_settled(1, step_key="rules")
        completions = await s.completions("icp")
        progress = await s.temporal.get_workflow_handle(journey).query(PartnerJourneyWorkflow.progress)
        for b in (browser, fresh):
            await b.close()

    requests = s.provider_requests()
    report(
        f"api kill: step POST in flight when the API was killed; answers {dict(answers.statuses)} "
        f"(connection errors {answers.transport_errors}); same form retried: {same_form}, fresh form: {again}; "
        f"completion events {dict(Counter(completions.values()))} for {len(completions)} journey; completed in "
        f"the workflow {progress.completed}; next-step invites {len(invites)}, provider requests "
        f"{sum(requests.values())} for {len(requests)} rows; {time.monotonic() - began:.1f}s"
    )
    assert same_form in ("done", "already") and again == "already"
    assert completions == Counter({journey: 1}) and progress.completed == ["icp"]
    assert [r.journey_id for r in invites] == [journey] and max(requests.values()) == 1
    assert sum(requests.values()) == PARTNERS + 1  # the invites, and one next-step invite
