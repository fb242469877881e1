"""The cohort progress export: the rows of the JSON API, a BOM, neutralized formulas, and a body streamed
in memory that does not grow with the cohort. SQLite and Postgres."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import tracemalloc
import uuid
from typing import Any

from sqlalchemy import insert, text, update

from api.app import create_app
from db.models import CohortMember, Journey, Partner
from db.session import SessionFactory, transaction
from tests.api.helpers import PM, api_client
from tests.api.test_progress_pages import NO_TEMPORAL, T0, recorded
from tests.factories import create_cohort, partner, settings_for

HOSTILE = ['=HYPERLINK("http://evil.example","x")', "+SUM(A1:A9)", "@cmd", "\tTabbed", "\uff1dSUM(A1)"]


def parsed(body: bytes) -> list[dict[str, str]]:
    assert body.startswith(b"\xef\xbb\xbf"), body[:10]
    return list(csv.DictReader(io.StringIO(body[3:].decode("utf-8"), newline="")))


def as_text(value: Any) -> str:
    return "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


class TestProgressExport:
    async def test_rows_match_the_partner_pages_of_the_api(self, sessions: SessionFactory) -> None:
        cohort_id = await recorded(sessions)
        async with api_client(settings_for(sessions), NO_TEMPORAL) as api:
            listed = (await api.get(f"/api/v1/cohorts/{cohort_id}/partners", params={"limit": 1000})).json()["items"]
            answer = await api.get(f"/api/v1/cohorts/{cohort_id}/export/progress.csv")
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("text/csv")
        disposition = answer.headers["content-disposition"]
        assert re.fullmatch(r'attachment; filename="[a-z0-9-]+-progress-\d{4}-\d\d-\d\d\.csv"', disposition)
        rows = parsed(answer.content)
        assert len(listed) == 6  # F was removed from the cohort
        assert rows == [{k: as_text(v) for k, v in item.items()} for item in listed]
        assert {r["status"] for r in rows} >= {"waiting", "completed", "not_started"}
        assert any(r["lagging"] == "true" for r in rows) and any(float(r["days_behind_cohort"]) > 0 for r in rows)

    async def test_formula_cells_get_an_apostrophe_and_plain_text_does_not(self, sessions: SessionFactory) -> None:
        cohort = await create_cohort(sessions, [partner(f"P{i}") for i in range(len(HOSTILE))] + [partner("Acme")])
        async with transaction(sessions) as session:
            for i, name in enumerate(HOSTILE):
                await session.execute(update(Partner).where(Partner.name == f"P{i}").values(name=name))
        async with api_client(settings_for(sessions), NO_TEMPORAL) as api:
            answer = await api.get(f"/api/v1/cohorts/{cohort.id}/export/progress.csv")
        names = sorted(r["name"] for r in parsed(answer.content))
        assert names == sorted(["'" + n for n in HOSTILE] + ["Acme"])

    async def test_needs_the_api_key_and_a_known_cohort(self, sessions: SessionFactory) -> None:
        async with api_client(settings_for(sessions), NO_TEMPORAL) as api:
            missing = await api.get("/api/v1/cohorts/nope/export/progress.csv")
            anonymous = await api.get("/api/v1/cohorts/nope/export/progress.csv", headers={"Authorization": ""})
        assert missing.status_code == 404 and "nope" in missing.text
        assert anonymous.status_code == 401


async def _bulk(sessions: SessionFactory, cohort_id: str, count: int) -> None:
    async with transaction(sessions) as session:
        for start in range(0, count, 2000):
            ids = [str(uuid.uuid4()) for _ in range(start, min(count, start + 2000))]
            await session.execute(
                insert(Partner),
                [
                    dict(id=p, name=f"Partner {start + i:06d} of a large window", type="ISV", tier=2, verticals=[])
                    | dict(region="", timezone="UTC", trust_signals=[], created_at=T0)
                    for i, p in enumerate(ids)
                ],
            )
            await session.execute(
                insert(CohortMember), [dict(cohort_id=cohort_id, partner_id=p, added_at=T0) for p in ids]
            )
            await session.execute(
                insert(Journey),
                [
                    dict(id=f"j-{p}", cohort_id=cohort_id, partner_id=p, stage="awareness", status="waiting")
                    | dict(current_play="icp-basics", current_step="icp", readiness_score=i % 100)
                    | dict(started_at=T0, updated_at=T0, last_progress_at=T0)
                    for i, p in enumerate(ids)
                    if i % 10  # a tenth have not started
                ],
            )


async def _analyze(sessions: SessionFactory) -> None:
    """Postgres plans the keyset pages from table statistics, which autovacuum gathers within a minute of
    a bulk load in production; without them each page walked all 20,000 rows (60 s instead of 3 s)."""
    async with transaction(sessions) as session:
        if session.bind.dialect.name == "postgresql":
            await session.execute(text("ANALYZE"))


async def _stream(app: Any, path: str) -> tuple[int, int]:
    """Runs one request through the ASGI app, counting the body's bytes and dropping them as they come
    (httpx's ASGI transport would keep the whole body)."""
    sent = {"status": 0, "bytes": 0}
    headers = [(b"authorization", PM["Authorization"].encode())]
    scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "query_string": b""}
    scope |= {"headers": headers, "http_version": "1.1", "scheme": "http", "server": ("testserver", 80)}
    scope |= {"client": ("127.0.0.1", 1), "root_path": "", "asgi": {"version": "3.0"}}

    requested, done = [False], asyncio.Event()

    async def receive() -> dict[str, Any]:
        if not requested[0]:
            requested[0] = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()  # a client that stays connected until the body has ended
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            sent["status"] = message["status"]
        elif message["type"] == "http.response.body":
            sent["bytes"] += len(message.get("body", b""))
            if not message.get("more_body", False):
                done.set()

    await app(scope, receive, send)
    return sent["status"], sent["bytes"]


async def test_a_large_export_streams_in_memory_far_below_its_size(sessions: SessionFactory) -> None:
    cohort = await create_cohort(sessions, [partner("Seed Partner")], starts_at=T0)
    await _bulk(sessions, cohort.id, 20_000)
    await _analyze(sessions)
    app = create_app(settings_for(sessions), NO_TEMPORAL)
    path = f"/api/v1/cohorts/{cohort.id}/export/progress.csv"
    async with app.router.lifespan_context(app):
        await _stream(app, path)  # warm: imports, statement caches and connections are not the export's memory
        tracemalloc.start()
        try:
            status, size = await _stream(app, path)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert status == 200
    assert size > 20_000 * 100  # every row went out
    assert peak < size / 3, (peak, size)  # holding the whole body would need more than the body itself
