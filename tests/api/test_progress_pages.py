"""The progress summary and the keyset-paged partner rows, read from SQL. SQLite and Postgres."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import update
from temporalio.client import Client

from api.cohorts import progress as progress_service
from db.models import Journey
from db.repositories import cohorts as cohort_repo
from db.repositories import journeys
from db.session import SessionFactory, transaction
from db.views.partner_rows import Filters
from tests.api.helpers import api_client
from tests.factories import create_cohort, partner, settings_for
from tests.workflows.helpers import partner_ids
from workflows.journey.messages import journey_id

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
NO_TEMPORAL = cast(Client, object())
# name: (tier, stage, status, readiness, day the icp step was completed or None); None: no journey yet.
PARTNERS: dict[str, tuple[int, tuple[str, str, int, int | None] | None]] = {
    "A": (1, ("activation", "waiting", 70, 12)),
    "B": (2, ("awareness", "waiting", 40, 10)),
    "C": (3, ("awareness", "waiting", 10, None)),
    "D": (3, ("activation", "completed", 90, 11)),
    "E": (2, None),
    "F": (1, ("awareness", "waiting", 20, 1)),  # removed from the cohort below
    "G": (3, None),
}


async def recorded(sessions: SessionFactory) -> str:
    cohort = await create_cohort(sessions, [partner(n, tier=t) for n, (t, _) in PARTNERS.items()], starts_at=T0)
    ids = dict(zip(PARTNERS, await partner_ids(sessions, cohort.id), strict=True))
    async with transaction(sessions) as session:
        for name, (_, journey) in PARTNERS.items():
            if journey is None:
                continue
            stage, status, readiness, done = journey
            jid = journey_id(cohort.id, ids[name])
            values = dict(id=jid, cohort_id=cohort.id, partner_id=ids[name], stage=stage, status=status)
            await journeys.save_journey(
                session, values | dict(readiness_score=readiness, started_at=T0, updated_at=T0 + 13 * DAY)
            )
            step = dict(journey_id=jid, step_key="icp", stage="awareness", play_key="icp-basics", status="invited")
            await journeys.save_step(session, step | dict(invited_at=T0, due_at=T0 + 3 * DAY))
            if done is None:
                await journeys.mark_step(session, jid, "icp", status="overdue")
            else:
                await journeys.mark_step(session, jid, "icp", status="completed", completed_at=T0 + done * DAY)
        await cohort_repo.remove_member(session, cohort.id, ids["F"], T0 + 2 * DAY)
    return cohort.id


async def walk(sessions: SessionFactory, cohort_id: str, limit: int, sort: Any, filters: Filters = Filters()) -> list:
    rows, after = [], None
    while True:
        async with transaction(sessions) as session:
            page = await progress_service.page(session, cohort_id, filters, sort, after, limit)
        rows += page.items
        assert len(page.items) <= limit
        if page.next is None:
            return rows
        after = page.next


async def names(sessions: SessionFactory, cohort_id: str, limit: int, sort: Any, **filters: Any) -> list[str]:
    return [r.name for r in await walk(sessions, cohort_id, limit, sort, Filters(**filters))]


class TestSummary:
    async def test_counts_members_by_stage_status_tier_lagging_and_step_state(self, sessions: SessionFactory) -> None:
        cohort_id = await recorded(sessions)
        async with transaction(sessions) as session:
            s = await progress_service.summary(session, cohort_id)
        assert (s.partners, s.cohort.partners) == (6, 6)
        assert s.by_status == {"waiting": 3, "completed": 1, "not_started": 2}
        assert s.by_stage == {"activation": 2, "awareness": 2}
        assert s.by_tier == {1: 1, 2: 2, 3: 3}
        # Median of every journey's last progress, the removed partner's included: C 0, F 1, B 10, D 11, A 12.
        assert s.median_last_progress_at == T0 + 10 * DAY
        assert s.lagging == 1  # C: 10 days behind, over quickstart's 3-day threshold; D completed
        icp = next(step for step in s.steps if step.step_key == "icp")
        assert (icp.invited, icp.completed, icp.overdue, icp.open) == (5, 4, 1, 0)
        assert s.steps[0].step_key == "icp" and s.partners_url.endswith(f"/{cohort_id}/partners")


class TestPartnerPages:
    async def test_every_sort_walks_each_member_once_in_order_whatever_the_page_size(
        self, sessions: SessionFactory
    ) -> None:
        cohort_id = await recorded(sessions)
        expected = {
            "name": "ABCDEG",
            "-name": "GEDCBA",
            "-readiness": "DABCEG",  # partners without a journey come last, in partner-id order
            "readiness": "CBADEG",
            "last_progress": "CBDAEG",
            "-last_progress": "ADBCGE",
        }
        for sort, order in expected.items():
            for limit in (1, 4, 100):
                got = "".join(await names(sessions, cohort_id, limit, sort))
                if sort in ("-readiness", "readiness", "last_progress"):
                    got = got[:4] + "".join(sorted(got[4:]))  # the journey-less tail is in partner-id order
                elif sort == "-last_progress":
                    got = got[:4] + "".join(sorted(got[4:], reverse=True))
                assert got == order, (sort, limit)

    async def test_filters_and_the_rows_fields(self, sessions: SessionFactory) -> None:
        cohort_id = await recorded(sessions)
        assert await names(sessions, cohort_id, 2, "name", lagging=True) == ["C"]
        assert await names(sessions, cohort_id, 2, "name", lagging=False) == ["A", "B", "D", "E", "G"]
        assert await names(sessions, cohort_id, 2, "name", status="not_started") == ["E", "G"]
        assert await names(sessions, cohort_id, 2, "-name", tier=3) == ["G", "D", "C"]
        assert await names(sessions, cohort_id, 1, "-readiness", stage="awareness", status="waiting") == ["B", "C"]
        rows = {r.name: r for r in await walk(sessions, cohort_id, 3, "name")}
        assert (rows["C"].days_behind_cohort, rows["C"].lagging, rows["C"].last_progress_at) == (10.0, True, T0)
        assert (rows["A"].days_behind_cohort, rows["A"].lagging, rows["A"].tier) == (0.0, False, 1)
        assert (rows["E"].status, rows["E"].stage, rows["E"].last_progress_at) == ("not_started", None, None)
        async with transaction(sessions) as session:
            whole = await progress_service.progress(session, cohort_id)
        assert [p.name for p in whole.partners] == list("ABCDEG")
        assert [p.model_dump() for p in whole.partners] == [r.model_dump() for r in rows.values()]


class TestOverHttp:
    async def test_summary_page_and_clear_errors(self, sessions: SessionFactory) -> None:
        cohort_id = await recorded(sessions)
        async with api_client(settings_for(sessions), NO_TEMPORAL) as api:
            summary = (await api.get(f"/api/v1/cohorts/{cohort_id}/progress/summary")).json()
            assert summary["by_tier"] == {"1": 1, "2": 2, "3": 3}
            first = (await api.get(summary["partners_url"], params={"limit": 2, "sort": "-readiness"})).json()
            assert [p["name"] for p in first["items"]] == ["D", "A"]
            second = await api.get(
                summary["partners_url"], params={"limit": 2, "sort": "-readiness", "after": first["next"]}
            )
            assert [p["name"] for p in second.json()["items"]] == ["B", "C"]
            bad = await api.get(summary["partners_url"], params={"after": first["next"], "sort": "last_progress"})
            assert bad.status_code == 422 and bad.json()["detail"]["after"] == first["next"]
            garbage = await api.get(summary["partners_url"], params={"after": "not-a-cursor"})
            assert garbage.status_code == 422 and "after" in garbage.json()["detail"]
            sort = await api.get(summary["partners_url"], params={"sort": "age"})
            assert sort.status_code == 422 and "sort" in sort.text
            assert (await api.get("/api/v1/cohorts/nope/progress/summary")).status_code == 404
            assert (await api.get("/api/v1/cohorts/nope/partners")).status_code == 404


class TestSummaryAge:
    async def test_counts_are_kept_for_their_max_age_and_one_request_counts_for_all(
        self, sessions: SessionFactory
    ) -> None:
        cohort_id = await recorded(sessions)
        url = f"/api/v1/cohorts/{cohort_id}/progress/summary"
        async with api_client(settings_for(sessions, progress_summary_max_age_seconds=300), NO_TEMPORAL) as api:
            first, second = await asyncio.gather(api.get(url), api.get(url))
            assert first.json()["as_of"] == second.json()["as_of"]  # the second waited for the first's count
            await exit_journeys(sessions, cohort_id)
            kept = (await api.get(url)).json()
            assert kept["as_of"] == first.json()["as_of"] and kept["by_status"]["waiting"] == 3
        async with api_client(settings_for(sessions, progress_summary_max_age_seconds=0), NO_TEMPORAL) as api:
            fresh = (await api.get(url)).json()
            assert fresh["by_status"] == {"exited": 4, "not_started": 2} and fresh["lagging"] == 0

    async def test_while_one_request_recounts_the_others_get_the_last_count(self, sessions: SessionFactory) -> None:
        cohort_id = await recorded(sessions)
        summaries = progress_service.Summaries()
        async with transaction(sessions) as session:
            first = await summaries.get(session, cohort_id, max_age=0)
        await exit_journeys(sessions, cohort_id)
        recount = summaries._counting[cohort_id]
        await recount.acquire()  # as if another request were counting now
        try:
            async with transaction(sessions) as session:
                during = await summaries.get(session, cohort_id, max_age=0)
        finally:
            recount.release()
        async with transaction(sessions) as session:
            after = await summaries.get(session, cohort_id, max_age=0)
        assert during is first and first.by_status["waiting"] == 3
        assert after.by_status == {"exited": 4, "not_started": 2} and after.as_of > first.as_of


async def exit_journeys(sessions: SessionFactory, cohort_id: str) -> None:
    async with transaction(sessions) as session:
        await session.execute(update(Journey).where(Journey.cohort_id == cohort_id).values(status="exited"))
