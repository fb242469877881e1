"""A cohort's progress as CSV: the rows of GET /cohorts/{id}/partners (sorted by name), paged by the
same keyset query, each page in its own short transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from api.cohorts.schemas import PartnerProgress
from api.errors import NotFound
from db.session import SessionFactory, transaction
from db.views import partner_rows
from db.views import progress as views

PAGE = 100  # rows cost ~4 KB each in flight (row, dataclass, model, dump); 100 keep a page near 0.5 MB


async def standing_of(session: AsyncSession, cohort_id: str) -> tuple[views.CohortHead, views.Standing]:
    """Read once, before the first byte, so a missing cohort is a 404 and every row is judged against
    the same median."""
    head = await views.cohort_head(session, cohort_id)
    if head is None:
        raise NotFound(f"cohort {cohort_id} not found")
    return head, await views.standing(session, cohort_id, head.playbook.stall_threshold_days)


async def pages(
    sessions: SessionFactory, cohort_id: str, at: views.Standing, page: int = PAGE
) -> AsyncIterator[Sequence[PartnerProgress]]:
    after = None
    while True:
        async with transaction(sessions) as session:
            found = await partner_rows.partner_page(session, cohort_id, at, after=after, limit=page)
        yield [PartnerProgress(**vars(r)) for r in found.rows]
        if found.next_after is None:
            return
        after = found.next_after
