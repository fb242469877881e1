"""A cohort's partners, one keyset page at a time, filtered and sorted; each page reads about as many
rows as it shows: sorted by name it walks ix_partners_name_id, by readiness or last progress the
journeys index of that column (tests/db/test_progress_plans.py checks the plans on Postgres)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Select, and_, null, or_, select, true, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import CohortMember, Journey, Partner
from db.views.progress import NOT_STARTED, Standing, lagging_condition

Rows = Select[*tuple[Any, ...]]
SortKey = Literal["name", "readiness", "last_progress"]
SORT_COLUMNS: dict[str, Any] = {"readiness": Journey.readiness_score, "last_progress": Journey.last_progress_at}


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
    return query


def _may_be_unstarted(filters: Filters) -> bool:
    return filters.stage is None and filters.status in (None, NOT_STARTED) and not filters.lagging


@dataclass(frozen=True)
class Page:
    rows: list[PartnerRow]
    next_after: tuple[Any, str] | None  # the last row's (sort value, partner id) when more rows follow


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


async def _by_name(
    session: AsyncSession, cohort_id: str, at: Standing, filters: Filters, descending: bool, after: Any, limit: int
) -> list[Any]:
    """Walks ix_partners_name_id and probes membership, so a page reads about `limit` partners."""
    after_cond, order = _keyset((Partner.name, Partner.id), descending, after)
    query = (
        select(*ROW, Partner.name)
        .outerjoin(Journey, and_(Journey.cohort_id == cohort_id, Journey.partner_id == Partner.id))
        .where(_active(cohort_id, Partner.id), after_cond)
        .order_by(*order)
        .limit(limit)
    )
    return list((await session.execute(_filtered(query, filters, at))).all())


async def _by_journey(
    session: AsyncSession,
    cohort_id: str,
    at: Standing,
    filters: Filters,
    sort: SortKey,
    descending: bool,
    after: Any,
    limit: int,
) -> list[Any]:
    """Partners with a journey, walking ix_journeys_cohort_<sort> in order; then, if the page is not
    full, those without one yet (they sort last, in partner-id order)."""
    column = SORT_COLUMNS[sort]
    found: list[Any] = []
    if filters.status != NOT_STARTED and (after is None or after[0] is not None):
        after_cond, order = _keyset((column, Journey.partner_id), descending, after)
        query = (
            select(*ROW, column)
            .select_from(Journey)
            .join(Partner, Partner.id == Journey.partner_id)
            .where(Journey.cohort_id == cohort_id, _active(cohort_id, Journey.partner_id), after_cond)
            .order_by(*order)
            .limit(limit)
        )
        found = list((await session.execute(_filtered(query, filters, at))).all())
    if len(found) < limit and _may_be_unstarted(filters):
        tail_after = (None, after[1]) if after is not None and after[0] is None else None
        found += await _unstarted(session, cohort_id, filters, descending, tail_after, limit - len(found))
    return found


async def _unstarted(
    session: AsyncSession, cohort_id: str, filters: Filters, descending: bool, after: Any, limit: int
) -> list[Any]:
    started = select(Journey.id).where(Journey.cohort_id == cohort_id, Journey.partner_id == CohortMember.partner_id)
    pid = CohortMember.partner_id
    no_journey = [null().label(c.key) for c in ROW[PARTNER_COLUMNS:]]
    query = (
        select(*ROW[:PARTNER_COLUMNS], *no_journey, null())
        .select_from(CohortMember)
        .join(Partner, Partner.id == CohortMember.partner_id)
        .where(CohortMember.cohort_id == cohort_id, CohortMember.removed_at.is_(None), ~started.exists())
        .order_by(pid.desc() if descending else pid.asc())
        .limit(limit)
    )
    if after is not None:
        query = query.where(pid < after[1] if descending else pid > after[1])
    if filters.tier is not None:
        query = query.where(Partner.tier == filters.tier)
    return list((await session.execute(query)).all())


async def partner_page(
    session: AsyncSession,
    cohort_id: str,
    at: Standing,
    *,
    filters: Filters = Filters(),
    sort: SortKey = "name",
    descending: bool = False,
    after: tuple[Any, str] | None = None,
    limit: int | None = 100,
) -> Page:
    """One page of active members in (sort value, partner id) order, keyset-paged: `after` is the
    previous page's `next_after`. `limit=None` reads them all."""
    fetch = limit + 1 if limit is not None else 1_000_000_000
    if sort == "name":
        found = await _by_name(session, cohort_id, at, filters, descending, after, fetch)
    else:
        found = await _by_journey(session, cohort_id, at, filters, sort, descending, after, fetch)
    rows = [_row(r[:-1], at) for r in found[:limit]]
    more = limit is not None and len(found) > limit
    return Page(rows, (found[limit - 1][-1], rows[-1].partner_id) if more and limit else None)
