"""The Audit log page: a manager sees only their programs' entries, filters by actor, action and date, pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from temporalio.testing import WorkflowEnvironment

from api.dashboard import audit_pages
from db.models import AuditLog
from db.session import SessionFactory, transaction
from db.views import dashboard
from tests.dashboard_data import Programs, browser, dashboard_app, sign_in, two_programs
from tests.factories import settings_for

pytestmark = pytest.mark.timeout(90)


async def entries(sessions: SessionFactory, ids: Programs) -> None:
    """Each program has a cohort entry and a program entry; A has one more, from November."""
    async with transaction(sessions) as session:
        a = await dashboard.program_of_cohort(session, ids.cohort_a)
        b = await dashboard.program_of_cohort(session, ids.cohort_b)
        for at, actor, action, cohort_id, detail in (
            (datetime(2026, 11, 2, 9, tzinfo=UTC), "key:ops", "pause", ids.cohort_a, {"mark": "a-old"}),
            (datetime(2026, 12, 1, 9, tzinfo=UTC), "user:ann@a.example", "resume", ids.cohort_a, {"mark": "a-cohort"}),
            (datetime(2026, 12, 1, 10, tzinfo=UTC), "user:ann@a.example", "tier_rubric_set", None,
             {"program_id": a, "mark": "a-program"}),
            (datetime(2026, 12, 1, 11, tzinfo=UTC), "user:bob@b.example", "pause", ids.cohort_b, {"mark": "b-cohort"}),
            (datetime(2026, 12, 1, 12, tzinfo=UTC), "user:bob@b.example", "tier_rubric_set", None,
             {"program_id": b, "mark": "b-program"}),
        ):  # fmt: skip
            session.add(AuditLog(at=at, actor=actor, action=action, cohort_id=cohort_id, detail=detail))


def marks(html: str) -> list[str]:
    """The entries shown, in page order (newest first)."""
    return re.findall(r'"mark": "([a-z-]+)"', html)


async def test_audit_log_shows_a_manager_their_programs_filtered_and_paged(  # SQLite and Postgres: JSON detail
    dev_env: WorkflowEnvironment, sessions: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = await two_programs(sessions)
    await entries(sessions, ids)
    async with dashboard_app(settings_for(sessions), dev_env.client) as app:
        async with browser(app) as anon:
            refused = await anon.get("/audit")
            assert refused.status_code == 303 and refused.headers["location"] == "/signin?next=/audit"
        async with browser(app) as ann, browser(app) as root:
            await sign_in(ann, "ann@a.example")
            await sign_in(root, "root@admin.example")

            async def seen(client: object, **query: str) -> list[str]:
                answer = await client.get("/audit", params=query)  # type: ignore[attr-defined]
                assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
                return marks(answer.text)

            assert await seen(ann) == ["a-program", "a-cohort", "a-old"]
            assert await seen(root) == ["b-program", "b-cohort", "a-program", "a-cohort", "a-old"]
            assert await seen(ann, actor="ANN@") == ["a-program", "a-cohort"]
            assert await seen(root, action="pause") == ["b-cohort", "a-old"]
            assert await seen(ann, since="2026-12-01") == ["a-program", "a-cohort"]
            assert await seen(ann, until="2026-11-30") == ["a-old"]
            assert await seen(ann, since="2026-12-01", until="2026-12-01") == ["a-program", "a-cohort"]
            assert await seen(ann, since="not a day") == ["a-program", "a-cohort", "a-old"]
            assert "the one given was ignored" in (await ann.get("/audit", params={"since": "not a day"})).text

            monkeypatch.setattr(audit_pages, "PAGE_SIZE", 2)
            first = await root.get("/audit")
            assert marks(first.text) == ["b-program", "b-cohort"]
            older = first.text.split('href="/audit?', 1)[1].split('"', 1)[0].replace("&amp;", "&")
            second = await root.get(f"/audit?{older}")
            assert marks(second.text) == ["a-program", "a-cohort"] and "Older entries" in second.text
