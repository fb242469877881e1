"""A cohort's partners, one keyset page at a time, filtered and sorted; each page reads about as many
rows as it shows: sorted by name it walks ix_partners_name_id, by readiness or last progress the
journeys index of that column (tests/db/test_progress_plans.py checks the plans on Postgres). By behavior
(a score in partners.scores, no index) it sorts the cohort's scored members: a cost the benchmark
(bench/dashboard_pages.py) measures at 10,000 partners. Pages go forward (`after`) or back (`before`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Select, and_, func, null, or_, select, true, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import CohortMember, Journey, Partner
from db.views.progress import NOT_STARTED, Standing, lagging_condition

Rows = Select[*tuple[Any, ...]]
Classification = Literal["on_track", "not_yet", "at_risk", "not_now"]
SortKey = Literal["name", "readiness", "last_progress", "behavior"]
# The behavior score the last tier review stored (a float: JSON numbers may be either).
BEHAVIOR = Partner.scores["behavior"].as_float()


@dataclass(frozen=True)
class PartnerRow:
    partner_id: str
    name: str
    type: str
    tier: int
    stage: str | None
    current_play: str | None
    current_step: str | None
    status: str
    readiness_score: int
    updated_at: datetime | None
    last_progress_at: datetime | None
    days_behind_cohort: float
    lagging: bool
    # As the last tier review stored them (None before the partner's first review).
    behavior: int | None
    gtm_readiness: int | None
    proven_capability: int | None
    early_traction: int | None
    field_advocacy: int | None
    classification: str | None
    scored_at: datetime | None


SCORES = ("behavior", "gtm_readiness", "proven_capability", "early_traction", "field_advocacy")


@dataclass(frozen=True)
class Filters:
    stage: str | None = None
    status: str | None = None
    tier: int | None = None
    lagging: bool | None = None
    classification: str | None = None  # as the last tier review stored it


def _filtered(query: Rows, filters: Filters, at: Standing) -> Rows:
    if filters.stage is not None:
        query = query.where(Journey.stage == filters.stage)
    if filters.status == NOT_STARTED:
        query = query.where(Journey.id.is_(None))
    elif filters.status is not None:
        query = query.where(Journey.status == filters.status)
    if filters.tier is not None:
        query = query.where(Partner.tier == filters.tier)
    if filters.lagging is not None:
        lagging = lagging_condition(at)
        query = query.where(lagging if filters.lagging else or_(Journey.id.is_(None), ~lagging))
    if filters.classification is not None:
        query = query.where(Partner.classification == filters.classification)
    return query


def _may_be_unstarted(filters: Filters) -> bool:
    return filters.stage is None and filters.status in (None, NOT_STARTED) and not filters.lagging


@dataclass(frozen=True)
class Page:
    rows: list[PartnerRow]
    next_after: tuple[Any, str] | None  # the last row's (sort value, partner id) when more rows follow
    prev_before: tuple[Any, str] | None = None  # the first row's, when rows come before it


ROW = (
    Partner.id,
    Partner.name,
    Partner.type,
    Partner.tier,
    Partner.scores,
    Partner.classification,
    Partner.scored_at,
    Journey.stage,
    Journey.current_play,
    Journey.current_step,
    Journey.status,
    Journey.readiness_score,
    Journey.updated_at,
    Journey.last_progress_at,
)
PARTNER_COLUMNS = 7  # ROW's columns of the partner; the rest are its journey's


def _row(found: Any, at: Standing) -> PartnerRow:
    pid, name, type_, tier, scores, cls, scored_at, stage, play, step, status, readiness, updated, last = found
    scores = scores or {}
    status = status or NOT_STARTED
    return PartnerRow(
        partner_id=pid,
        name=name,
        type=type_,
        tier=tier,
        stage=stage,
        current_play=play,
        current_step=step,
        status=status,
        readiness_score=readiness or 0,
        updated_at=updated,
        last_progress_at=last,
        days_behind_cohort=at.days_behind(last),
        lagging=at.lagging(last, status),
        **{name: scores.get(name) for name in SCORES},
        classification=cls,
        scored_at=scored_at,
    )


def _active(cohort_id: str, partner_id: Any) -> Any:
    return (
        select(CohortMember.partner_id)
        .where(
            CohortMember.cohort_id == cohort_id,
            CohortMember.partner_id == partner_id,
            CohortMember.removed_at.is_(None),
        )
        .exists()
    )


def _keyset(columns: tuple[Any, Any], descending: bool, after: tuple[Any, str] | None) -> tuple[Any, list[Any]]:
    """The condition for rows after `after` and the ORDER BY, for (sort column, partner id) in one direction."""
    column, pid = columns
    order = [column.desc(), pid.desc()] if descending else [column.asc(), pid.asc()]
    if after is None:
        return true(), order
    # A row-value comparison, so both databases seek the index to the cursor instead of walking to it.
    key = tuple_(column, pid)
    return (key < after) if descending else (key > after), order


@dataclass(frozen=True)
class _Walk:
    """What every segment of one page's walk shares."""

    session: AsyncSession
    cohort_id: str
    at: Standing
    filters: Filters


# A segment reads up to `limit` rows after a cursor (or from its start) in one direction.
Segment = Callable[[_Walk, bool, Any, int], Awaitable[list[Any]]]


def _by_partner_column(column: Any, scored: bool) -> Segment:
    """Members in (column, partner id) order; `scored`: only those with a value (the others are a tail)."""

    async def walk(w: _Walk, descending: bool, after: Any, limit: int) -> list[Any]:
        after_cond, order = _keyset((column, Partner.id), descending, after)
        query = (
            select(*ROW, column)
            .outerjoin(Journey, and_(Journey.cohort_id == w.cohort_id, Journey.partner_id == Partner.id))
            .where(_active(w.cohort_id, Partner.id), after_cond)
            .order_by(*order)
            .limit(limit)
        )
        if scored:
            query = query.where(column.is_not(None))
        return list((await w.session.execute(_filtered(query, w.filters, w.at))).all())

    return walk


async def _unscored(w: _Walk, descending: bool, after: Any, limit: int) -> list[Any]:
    """Members no tier review has scored yet, in partner-id order (they sort after the scored ones)."""
    pid = Partner.id
    query = (
        select(*ROW, null())
        .outerjoin(Journey, and_(Journey.cohort_id == w.cohort_id, Journey.partner_id == pid))
        .where(_active(w.cohort_id, pid), BEHAVIOR.is_(None))
        .order_by(pid.desc() if descending else pid.asc())
        .limit(limit)
    )
    if after is not None:
        query = query.where(pid < after[1] if descending else pid > after[1])
    return list((await w.session.execute(_filtered(query, w.filters, w.at))).all())


def _by_journey(column: Any) -> Segment:
    """Partners with a journey, walking ix_journeys_cohort_<sort> in order."""

    async def walk(w: _Walk, descending: bool, after: Any, limit: int) -> list[Any]:
        if w.filters.status == NOT_STARTED:
            return []
        after_cond, order = _keyset((column, Journey.partner_id), descending, after)
        query = (
            select(*ROW, column)
            .select_from(Journey)
            .join(Partner, Partner.id == Journey.partner_id)
            .where(Journey.cohort_id == w.cohort_id, _active(w.cohort_id, Journey.partner_id), after_cond)
            .order_by(*order)
            .limit(limit)
        )
        return list((await w.session.execute(_filtered(query, w.filters, w.at))).all())

    return walk


async def _unstarted(w: _Walk, descending: bool, after: Any, limit: int) -> list[Any]:
    """Members without a journey yet, in partner-id order (they sort after those with one)."""
    if not _may_be_unstarted(w.filters):
        return []
    started = select(Journey.id).where(Journey.cohort_id == w.cohort_id, Journey.partner_id == CohortMember.partner_id)
    pid = CohortMember.partner_id
    no_journey = [null().label(c.key) for c in ROW[PARTNER_COLUMNS:]]
    query = (
        select(*ROW[:PARTNER_COLUMNS], *no_journey, null())
        .select_from(CohortMember)
        .join(Partner, Partner.id == CohortMember.partner_id)
        .where(CohortMember.cohort_id == w.cohort_id, CohortMember.removed_at.is_(None), ~started.exists())
        .order_by(pid.desc() if descending else pid.asc())
        .limit(limit)
    )
    if after is not None:
        query = query.where(pid < after[1] if descending else pid > after[1])
    if w.filters.tier is not None:
        query = query.where(Partner.tier == w.filters.tier)
    if w.filters.classification is not None:
        query = query.where(Partner.classification == w.filters.classification)
    return list((await w.session.execute(query)).all())


# Each sort's segments in page order; a cursor whose sort value is null lies in the last (a tail that
# sorts after the rest, in partner-id order, whichever the direction).
SEGMENTS: dict[str, tuple[Segment, ...]] = {
    "name": (_by_partner_column(Partner.name, scored=False),),
    "readiness": (_by_journey(Journey.readiness_score), _unstarted),
    "last_progress": (_by_journey(Journey.last_progress_at), _unstarted),
    "behavior": (_by_partner_column(BEHAVIOR, scored=True), _unscored),
}


async def _walk(w: _Walk, sort: SortKey, descending: bool, cursor: Any, backward: bool, limit: int) -> list[Any]:
    """Rows after `cursor` (before it, nearest first, when `backward`), segment by segment."""
    segments = list(enumerate(SEGMENTS[sort]))
    at_segment = len(segments) - 1 if cursor is not None and cursor[0] is None and len(segments) > 1 else 0
    if backward:  # the same walk in the opposite order: segments reversed, each in the other direction
        segments.reverse()
        descending = not descending
    found: list[Any] = []
    reached = cursor is None
    for i, segment in segments:
        if not reached and i != at_segment:
            continue
        after = None if reached else cursor
        reached = True
        found += await segment(w, descending, after, limit - len(found))
        if len(found) >= limit:
            break
    return found


async def partner_page(
    session: AsyncSession,
    cohort_id: str,
    at: Standing,
    *,
    filters: Filters = Filters(),
    sort: SortKey = "name",
    descending: bool = False,
    after: tuple[Any, str] | None = None,
    before: tuple[Any, str] | None = None,
    limit: int | None = 100,
) -> Page:
    """One page of active members in (sort value, partner id) order, keyset-paged: `after` is the
    previous page's `next_after`, or `before` the next page's `prev_before` (the page that ends there).
    `limit=None` reads them all."""
    fetch = limit + 1 if limit is not None else 1_000_000_000
    backward = before is not None
    found = await _walk(_Walk(session, cohort_id, at, filters), sort, descending, before or after, backward, fetch)
    more = limit is not None and len(found) > limit
    kept = found[:limit]
    if backward:
        kept.reverse()
    rows = [_row(r[:-1], at) for r in kept]
    first = (kept[0][-1], rows[0].partner_id) if rows else None
    last = (kept[-1][-1], rows[-1].partner_id) if rows else None
    if backward:
        return Page(rows, last, first if more else None)
    return Page(rows, last if more else None, first if after is not None else None)


async def count(session: AsyncSession, cohort_id: str, at: Standing, filters: Filters) -> int:
    """How many active members the filters keep (one count over the cohort's members)."""
    query = (
        select(func.count())
        .select_from(CohortMember)
        .join(Partner, Partner.id == CohortMember.partner_id)
        .outerjoin(Journey, and_(Journey.cohort_id == cohort_id, Journey.partner_id == CohortMember.partner_id))
        .where(CohortMember.cohort_id == cohort_id, CohortMember.removed_at.is_(None))
    )
    return int(await session.scalar(_filtered(query, filters, at)) or 0)
