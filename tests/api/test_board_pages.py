"""The cohort board's "who is where" in keyset pages: the behavior sort and the classification filter of the
partner rows (SQLite and Postgres: a JSON expression and row values), pages walked back as they were walked
forward, and the board's next and previous links keeping the filters."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from sqlalchemy import update

from api.cohorts import progress as progress_service
from api.dashboard import board
from api.dashboard.users import create as create_user
from db.models import Partner
from db.session import SessionFactory, transaction
from db.views.partner_rows import Filters
from tests.api.test_progress_pages import NO_TEMPORAL, recorded
from tests.dashboard_data import browser, dashboard_app, sign_in
from tests.factories import settings_for

# name: (behavior, classification) as a tier review stores them; D and G were never scored.
SCORED: dict[str, tuple[float, str]] = {"A": (80, "on_track"), "B": (20, "at_risk"), "C": (55.5, "not_yet"),
                                         "E": (40, "on_track")}  # fmt: skip
ROW_LINK = re.compile(r'<td><a href="/partners/[^"]+">([A-G])</a></td>')
PAGER = re.compile(r'<a href="([^"]+)" rel="(prev|next)">')


async def scored(sessions: SessionFactory) -> str:
    cohort_id = await recorded(sessions)
    async with transaction(sessions) as session:
        for name, (behavior, cls) in SCORED.items():
            values = {"scores": {"behavior": behavior, "gtm_readiness": 50}, "classification": cls}
            await session.execute(update(Partner).where(Partner.name == name).values(**values))
    return cohort_id


async def pages(sessions: SessionFactory, cohort_id: str, sort: Any, limit: int, **cursor: str | None) -> Any:
    async with transaction(sessions) as session:
        return await progress_service.rows_page(session, cohort_id, Filters(), sort, limit=limit, **cursor)


async def forward_then_back(sessions: SessionFactory, cohort_id: str, sort: Any, limit: int) -> list[str]:
    """Every page forward by `next`, then back from the last by `prev`: the same pages, in reverse."""
    forward, found = [], await pages(sessions, cohort_id, sort, limit)
    while True:
        forward.append("".join(r.name for r in found.rows))
        if found.next is None:
            break
        found = await pages(sessions, cohort_id, sort, limit, after=found.next)
    backward = [forward[-1]]
    while found.prev is not None:
        found = await pages(sessions, cohort_id, sort, limit, before=found.prev)
        backward.append("".join(r.name for r in found.rows))
    assert backward == forward[::-1], (sort, limit)
    return forward


class TestRows:
    async def test_behavior_sort_classification_filter_and_pages_back(self, sessions: SessionFactory) -> None:
        cohort_id = await scored(sessions)
        # The scored by behavior (C's 55.5 between E's 40 and A's 80), then the unscored D and G (in partner-id
        # order, which is random: sorted here), as partners without a journey follow those with one.
        expected = {"behavior": "BECADG", "-behavior": "ACEBDG", "name": "ABCDEG", "last_progress": "CBDAEG"}
        for sort, order in expected.items():
            for limit in (1, 2, 4, 100):
                got = "".join(await forward_then_back(sessions, cohort_id, sort, limit))
                assert got[:4] + "".join(sorted(got[4:])) == order, (sort, limit)
        async with transaction(sessions) as session:
            on_track = await progress_service.rows_page(session, cohort_id, Filters(classification="on_track"))
        assert [r.name for r in on_track.rows] == ["A", "E"]
        assert [(r.behavior, r.classification) for r in on_track.rows] == [(80, "on_track"), (40, "on_track")]


class TestBoard:
    async def test_pages_of_the_board_keep_their_filters_and_sort(
        self, sqlite_sessions: SessionFactory, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(board, "PAGE", 2)
        cohort_id = await scored(sqlite_sessions)
        async with transaction(sqlite_sessions) as session:
            await create_user(session, "root@admin.example", "Root", "admin", [])
        async with dashboard_app(settings_for(sqlite_sessions), NO_TEMPORAL) as app, browser(app) as root:
            await sign_in(root, "root@admin.example")
            first = (await root.get(f"/cohorts/{cohort_id}", params={"sort": "-behavior"})).text
            assert ROW_LINK.findall(first) == ["A", "C"] and "6 of 6 partners" in first
            assert [rel for _, rel in PAGER.findall(first)] == ["next"]
            second = (await root.get(unescape(PAGER.findall(first)[0][0]))).text
            assert ROW_LINK.findall(second) == ["E", "B"]
            links = {rel: unescape(url) for url, rel in PAGER.findall(second)}
            assert all("sort=-behavior" in url for url in links.values()) and set(links) == {"prev", "next"}
            assert ROW_LINK.findall((await root.get(links["prev"])).text) == ["A", "C"]

            filtered = await root.get(f"/cohorts/{cohort_id}", params={"tier": "3", "status": "waiting"})
            assert ROW_LINK.findall(filtered.text) == ["C"] and "1 of 6 partners" in filtered.text
            by_lag = (await root.get(f"/cohorts/{cohort_id}", params={"sort": "lag", "tier": "2"})).text
            assert ROW_LINK.findall(by_lag) == ["B", "E"] and "2 of 6 partners" in by_lag
            bad = await root.get(f"/cohorts/{cohort_id}", params={"tier": "7"})
            assert bad.status_code == 422 and "tier" in bad.text
            cursor = await root.get(f"/cohorts/{cohort_id}", params={"after": "not-a-cursor"})
            assert cursor.status_code == 422 and "cursor" in cursor.text
