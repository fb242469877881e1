"""The cohort board: the funnel from the SQL summary, gate holds, and "who is where" one keyset page at a
time, through the same queries as `GET /api/v1/cohorts/{id}/partners` and `/progress/summary`, so a
10,000-partner window renders a page of rows, never the whole list."""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession

from api.cohorts import progress as progress_service
from api.cohorts.schemas import CohortOut, CohortSummary
from db.models import Cohort
from db.views import dashboard, partner_rows

PAGE = 100  # rows of "who is where" per page
HOLDS = 50  # gate holds listed; the rest are counted
CLASSIFICATIONS = ("on_track", "not_yet", "at_risk", "not_now")
# The board's sorts, as the PM reads them, and the partner list's sort each one is.
SORTS: dict[str, tuple[progress_service.Sort, str]] = {
    "name": ("name", "Name"),
    "lag": ("last_progress", "Most behind first"),
    "behavior": ("behavior", "Lowest behavior first"),
    "-behavior": ("-behavior", "Highest behavior first"),
}


class BadFilter(ValueError):
    """A filter value the board does not offer, named for the page that says so."""


@dataclass(frozen=True)
class Filters:
    stage: str = ""
    status: str = ""
    tier: str = ""
    classification: str = ""
    sort: str = "name"

    def check(self) -> None:
        if self.tier not in ("", "1", "2", "3"):
            raise BadFilter(f"tier: {self.tier!r} is not a tier; choose 1, 2 or 3")
        if self.classification not in ("", *CLASSIFICATIONS):
            raise BadFilter(f"classification: {self.classification!r} is not one of {', '.join(CLASSIFICATIONS)}")
        if self.sort not in SORTS:
            raise BadFilter(f"sort: {self.sort!r} is not one of {', '.join(SORTS)}")

    def rows(self) -> partner_rows.Filters:
        return partner_rows.Filters(
            stage=self.stage or None,
            status=self.status or None,
            tier=int(self.tier) if self.tier else None,
            classification=self.classification or None,
        )

    def url(self, cohort_id: str, **cursor: str) -> str:
        """The board with these filters (the defaults left out), and a page cursor when given."""
        kept = {k: v for k, v in vars(self).items() if v and not (k == "sort" and v == "name")}
        return f"/cohorts/{cohort_id}?{urlencode({**kept, **cursor})}"


@dataclass
class Board:
    cohort: CohortOut
    summary: CohortSummary
    stages: list[str]
    statuses: list[str]
    rows: list[partner_rows.PartnerRow]
    matching: int  # partners the filters keep, over every page
    next_url: str | None
    prev_url: str | None
    holds: list[dashboard.Hold]
    held: int


async def _cohort_now(session: AsyncSession, counted: CohortOut) -> CohortOut:
    """The summary's cohort (its counts up to max_age old) with its name, status and dates as they are now:
    a paused window shows paused at once. One primary-key read instead of the cohort service's counting."""
    row = await session.get(Cohort, counted.id)
    assert row is not None  # the summary just read it
    fresh = {"name": row.name, "status": row.status, "starts_at": row.starts_at, "ends_at": row.ends_at}
    return counted.model_copy(update=fresh)


async def board(
    session: AsyncSession,
    summaries: progress_service.Summaries,
    max_age: float,
    cohort_id: str,
    filters: Filters,
    after: str | None = None,
    before: str | None = None,
) -> Board:
    """Raises BadFilter for a filter, and AppError (422) for a cursor, the board cannot read."""
    filters.check()
    summary = await summaries.get(session, cohort_id, max_age)
    sort = SORTS[filters.sort][0]
    found = await progress_service.rows_page(
        session, cohort_id, filters.rows(), sort, after=after, limit=PAGE, before=before
    )
    matching = summary.partners
    if replace(filters, sort="name") != Filters():
        matching = await partner_rows.count(session, cohort_id, found.standing, filters.rows())
    holds, held = await dashboard.gate_holds(session, cohort_id, HOLDS)
    return Board(
        cohort=await _cohort_now(session, summary.cohort),
        summary=summary,
        stages=list(dict.fromkeys(s.stage for s in summary.steps)),
        statuses=sorted(summary.by_status),
        rows=found.rows,
        matching=matching,
        next_url=filters.url(cohort_id, after=found.next) if found.next else None,
        prev_url=filters.url(cohort_id, before=found.prev) if found.prev else None,
        holds=holds,
        held=held,
    )
