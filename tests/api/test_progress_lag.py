from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api.cohorts import progress as progress_service
from db.models import Journey, JourneyStep
from db.repositories import journeys
from db.session import SessionFactory, transaction
from tests.factories import create_cohort, partner
from tests.workflows.helpers import partner_ids
from workflows.journey.messages import journey_id

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class TestCohortRelativeStall:
    async def test_partner_trailing_the_median_by_more_than_the_threshold_is_lagging(
        self, sessions: SessionFactory
    ) -> None:
        cohort = await create_cohort(sessions, [partner("A"), partner("B"), partner("C")], starts_at=T0)
        a, b, c = await partner_ids(sessions, cohort.id)
        last_done = {a: T0 + timedelta(days=12), b: T0 + timedelta(days=10), c: None}
        async with transaction(sessions) as session:
            for pid, done in last_done.items():
                jid = journey_id(cohort.id, pid)
                session.add(
                    Journey(
                        id=jid,
                        cohort_id=cohort.id,
                        partner_id=pid,
                        stage="awareness",
                        status="waiting",
                        started_at=T0,
                        updated_at=T0 + timedelta(days=13),
                    )
                )
                await session.flush()
                session.add(
                    JourneyStep(
                        journey_id=jid,
                        step_key="icp",
                        stage="awareness",
                        play_key="icp-basics",
                        status="overdue",
                        invited_at=T0,
                        due_at=T0 + timedelta(days=3),
                    )
                )
                await session.flush()
                if done:  # through the projection's write path, which keeps the journey's last progress
                    await journeys.mark_step(session, jid, "icp", status="completed", completed_at=done)
        async with transaction(sessions) as session:
            progress = await progress_service.progress(session, cohort.id)
        rows = {p.name: p for p in progress.partners}
        assert rows["B"].days_behind_cohort == 0.0 and not rows["B"].lagging  # B is the median
        assert rows["A"].days_behind_cohort == 0.0
        assert rows["C"].days_behind_cohort == 10.0 and rows["C"].lagging  # threshold is 3 days
        assert rows["C"].last_progress_at == T0
