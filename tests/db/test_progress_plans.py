"""The progress reads use the indexes made for them: Postgres's plans, on a database of two 3,000-partner
windows after VACUUM ANALYZE (what autovacuum leaves).

Pages and the median are read with the planner's own choices. The step counts read every step of the
cohort, here half the table, where a sequential scan is the planner's honest choice; for them the test
turns sequential scans off and checks the covering index can serve the query (with many windows in
the table, the planner picks it by itself)."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import event, insert, text
from sqlalchemy.ext.asyncio import AsyncEngine

from db.migrate import upgrade
from db.models import CohortMember, Journey, JourneyStep, Partner
from db.session import SessionFactory, make_engine, make_sessionmaker, transaction
from db.views import partner_rows, progress
from embedded import publish_shipped
from tests.conftest import PostgresServer
from tests.factories import create_cohort, partner

pytestmark = pytest.mark.postgres
T0 = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
PER_COHORT = 3000
STEPS = (("icp", "awareness"), ("rules", "awareness"), ("target-account", "activation"))


@pytest_asyncio.fixture
async def engine(postgres: PostgresServer) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(await postgres.new_database())
    await upgrade(engine)
    yield engine
    await engine.dispose()


def _window(cohort_id: str, rng: random.Random) -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = {"partners": [], "members": [], "journeys": [], "steps": []}
    for i in range(PER_COHORT):
        pid, jid, done = str(uuid.uuid4()), f"journey/{cohort_id}/{i}", rng.randint(0, 2)
        last = T0 + timedelta(hours=rng.randint(0, 900))
        rows["partners"].append(dict(id=pid, name=f"P{rng.randrange(10**6)}", type="ISV", tier=rng.randint(1, 3)))
        rows["members"].append(dict(cohort_id=cohort_id, partner_id=pid, added_at=T0))
        rows["journeys"].append(
            dict(id=jid, cohort_id=cohort_id, partner_id=pid, stage=STEPS[done][1], status="waiting")
            | dict(readiness_score=rng.randint(0, 100), started_at=T0, updated_at=last, last_progress_at=last)
        )
        for n, (key, stage) in enumerate(STEPS[: done + 1]):
            rows["steps"].append(
                dict(
                    journey_id=jid,
                    step_key=key,
                    stage=stage,
                    play_key="p",
                    status="completed" if n < done else "invited",
                )
                | dict(invited_at=T0, due_at=T0 + timedelta(days=3), submission={"answer": "x" * 200})
            )
    return rows


async def _seed(sessions: SessionFactory) -> str:
    rng = random.Random(3)
    cohorts = [(await create_cohort(sessions, [partner(f"Seed {n}")], starts_at=T0)).id for n in range(2)]
    for cohort_id in cohorts:
        rows = _window(cohort_id, rng)
        async with transaction(sessions) as session:
            for model, key in ((Partner, "partners"), (CohortMember, "members"), (Journey, "journeys")):
                await session.execute(insert(model), rows[key])
            await session.execute(insert(JourneyStep), rows["steps"])
    return cohorts[0]


def _indexes(plan: dict[str, Any]) -> set[str]:
    found = {plan["Index Name"]} if "Index Name" in plan else set()
    for child in plan.get("Plans", []):
        found |= _indexes(child)
    return found


async def _plans(engine: AsyncEngine, read: Callable[[Any], Awaitable[Any]], seqscan: bool = True) -> set[str]:
    """The indexes in the plans of every statement `read` runs, EXPLAINed with the same parameters."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    sessions = make_sessionmaker(engine)
    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        async with transaction(sessions) as session:
            await read(session)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    used: set[str] = set()
    async with engine.connect() as conn:
        await conn.exec_driver_sql(f"SET enable_seqscan = {'on' if seqscan else 'off'}")
        for statement, parameters in seen:
            answer = await conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters)
            plan = answer.scalar_one()
            used |= _indexes((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"])
    return used


class TestProgressPlans:
    async def test_each_progress_read_uses_its_index(self, engine: AsyncEngine) -> None:
        sessions = make_sessionmaker(engine)
        await publish_shipped(sessions)
        cohort_id = await _seed(sessions)
        async with engine.connect() as conn:
            await (await conn.execution_options(isolation_level="AUTOCOMMIT")).execute(text("VACUUM ANALYZE"))
        async with transaction(sessions) as session:
            at = await progress.standing(session, cohort_id, 7)
            head = await progress.cohort_head(session, cohort_id)
            middle = (await partner_rows.partner_page(session, cohort_id, at, limit=PER_COHORT // 2)).next_after
        assert head is not None and at.median is not None and middle is not None

        async def page(session: Any, **kw: Any) -> Any:
            return await partner_rows.partner_page(session, cohort_id, at, limit=100, **kw)

        expected: dict[str, Callable[[Any], Awaitable[Any]]] = {
            "ix_journeys_cohort_last_progress": lambda s: progress.standing(s, cohort_id, 7),
            "ix_journeys_cohort_stage_status": lambda s: progress.member_counts(s, cohort_id, at),
            "ix_partners_name_id": lambda s: page(s, after=middle),  # a page from the middle: seeks, no walk
            "ix_journeys_cohort_readiness": lambda s: page(s, sort="readiness", descending=True),
        }
        for index, read in expected.items():
            assert index in await _plans(engine, read), index
        steps = await _plans(engine, lambda s: progress.step_counts(s, cohort_id, head.playbook), seqscan=False)
        assert "ix_journey_steps_journey_counts" in steps
        lagging = partner_rows.Filters(lagging=True)
        by_progress = await _plans(engine, lambda s: page(s, sort="last_progress", filters=lagging))
        assert "ix_journeys_cohort_last_progress" in by_progress
