"""The dashboard's cohort list: each window's members counted by tier, removed members left out."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update

from db.models import CohortMember, Partner
from db.session import SessionFactory, transaction
from db.views import dashboard
from tests.factories import create_cohort, partner
from tests.workflows.helpers import partner_ids


async def test_the_cohort_list_counts_current_members_by_tier(sessions: SessionFactory) -> None:
    names = ["Alpha", "Beta", "Gamma", "Delta"]
    cohort = await create_cohort(sessions, [partner(n) for n in names])
    ids = await partner_ids(sessions, cohort.id)
    async with transaction(sessions) as session:
        await session.execute(update(Partner).where(Partner.id == ids[0]).values(tier=1))
        await session.execute(update(Partner).where(Partner.id.in_(ids[1:3])).values(tier=2))
        removed = CohortMember.partner_id == ids[2]
        await session.execute(update(CohortMember).where(removed).values(removed_at=datetime.now(UTC)))
    async with transaction(sessions) as session:
        [row] = [r for r in await dashboard.cohorts(session, None) if r.id == cohort.id]
    assert row.partners == 3 and row.by_tier == {1: 1, 2: 1, 3: 1}, row
