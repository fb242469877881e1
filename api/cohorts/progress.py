"""A cohort's progress for the PM: the summary (counts in SQL), keyset pages of partner rows, and the
whole-list answer kept for existing clients (same shape as before, built from the same queries)."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, cast

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from api.cohorts.schemas import (
    CohortOut,
    CohortProgress,
    CohortSummary,
    PartnerPage,
    PartnerProgress,
    StepCounts,
)
from api.errors import AppError, NotFound
from db.views import partner_rows
from db.views import progress as views

Sort = Literal["name", "-name", "readiness", "-readiness", "last_progress", "-last_progress", "behavior", "-behavior"]
MAX_PAGE = 1000
CURSOR_TYPES: dict[str, type | tuple[type, ...]] = {"name": str, "readiness": int, "behavior": (int, float)}


async def _head(session: AsyncSession, cohort_id: str) -> views.CohortHead:
    head = await views.cohort_head(session, cohort_id)
    if head is None:
        raise NotFound(f"cohort {cohort_id} not found")
    return head


def _cohort_out(head: views.CohortHead, members: int) -> CohortOut:
    return CohortOut.of(head.cohort, head.program, head.sha256, members)


class Summaries:
    """The summaries this API process computed, by cohort. Counting a 10,000-partner window reads every
    journey and step row of it (tens to hundreds of ms), so a summary younger than `max_age` seconds is
    answered as it is; while one request recounts a cohort, the others get its last count (or, when
    there is none yet, wait for this one)."""

    def __init__(self) -> None:
        self._kept: dict[str, tuple[float, CohortSummary]] = {}
        self._counting: dict[str, asyncio.Lock] = {}

    def _young(self, cohort_id: str, max_age: float) -> CohortSummary | None:
        kept = self._kept.get(cohort_id)
        return kept[1] if kept and time.monotonic() - kept[0] < max_age else None

    async def get(self, session: AsyncSession, cohort_id: str, max_age: float) -> CohortSummary:
        if (young := self._young(cohort_id, max_age)) is not None:
            return young
        counting = self._counting.setdefault(cohort_id, asyncio.Lock())
        if counting.locked() and cohort_id in self._kept:  # another request is recounting: the last count will do
            return self._kept[cohort_id][1]
        async with counting:
            if (young := self._young(cohort_id, max_age)) is not None:
                return young
            began = time.monotonic()
            counted = await summary(session, cohort_id)
            self._kept[cohort_id] = (began, counted)
            return counted


def summaries_of(request: Request) -> Summaries:
    state = request.app.state
    if getattr(state, "progress_summaries", None) is None:
        state.progress_summaries = Summaries()
    return cast(Summaries, state.progress_summaries)


async def summary(session: AsyncSession, cohort_id: str) -> CohortSummary:
    """Counted now, in SQL."""
    as_of = datetime.now(UTC)
    head = await _head(session, cohort_id)
    at = await views.standing(session, cohort_id, head.playbook.stall_threshold_days)
    counts = await views.member_counts(session, cohort_id, at)
    steps = await views.step_counts(session, cohort_id, head.playbook)
    return CohortSummary(
        cohort=_cohort_out(head, counts.partners),
        partners=counts.partners,
        by_stage=counts.by_stage,
        by_status=counts.by_status,
        by_tier=counts.by_tier,
        lagging=counts.lagging,
        median_last_progress_at=at.median,
        steps=[StepCounts(**vars(s)) for s in steps],
        partners_url=f"/api/v1/cohorts/{cohort_id}/partners",
        as_of=as_of,
    )


def encode_cursor(after: tuple[Any, str]) -> str:
    value, partner_id = after
    raw = json.dumps([value.isoformat() if isinstance(value, datetime) else value, partner_id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> tuple[Any, str]:
    """The inverse of encode_cursor for this sort; anything else is the caller's error, named."""
    try:
        value, partner_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(partner_id, str):
            raise ValueError("partner id")
        if value is not None and sort == "last_progress":
            value = datetime.fromisoformat(value)
        elif value is not None and (isinstance(value, bool) or not isinstance(value, CURSOR_TYPES[sort])):
            raise ValueError("sort value")
    except (ValueError, TypeError, binascii.Error) as exc:
        raise AppError(
            "`after` is not a cursor of this list; pass the `next` of the previous page with the same sort",
            {"after": cursor, "sort": sort},
            status_code=422,
        ) from exc
    return value, partner_id


@dataclass(frozen=True)
class Rows:
    """A page of rows with its cursors (encoded): the API's page and the dashboard's board read this."""

    rows: list[partner_rows.PartnerRow]
    next: str | None
    prev: str | None
    standing: views.Standing


async def rows_page(
    session: AsyncSession,
    cohort_id: str,
    filters: partner_rows.Filters,
    sort: Sort = "name",
    after: str | None = None,
    limit: int = 100,
    before: str | None = None,
) -> Rows:
    key: partner_rows.SortKey = sort.lstrip("-")  # type: ignore[assignment]
    head = await _head(session, cohort_id)
    at = await views.standing(session, cohort_id, head.playbook.stall_threshold_days)
    found = await partner_rows.partner_page(
        session,
        cohort_id,
        at,
        filters=filters,
        sort=key,
        descending=sort.startswith("-"),
        after=decode_cursor(after, key) if after else None,
        before=decode_cursor(before, key) if before else None,
        limit=limit,
    )
    encoded = [encode_cursor(c) if c else None for c in (found.next_after, found.prev_before)]
    return Rows(found.rows, encoded[0], encoded[1], at)


async def page(
    session: AsyncSession,
    cohort_id: str,
    filters: partner_rows.Filters,
    sort: Sort = "name",
    after: str | None = None,
    limit: int = 100,
) -> PartnerPage:
    found = await rows_page(session, cohort_id, filters, sort, after, limit)
    return PartnerPage(items=[PartnerProgress(**vars(r)) for r in found.rows], next=found.next)


async def progress(session: AsyncSession, cohort_id: str) -> CohortProgress:
    """Every partner in one answer, as before; for large cohorts read `summary` and `page` instead."""
    head = await _head(session, cohort_id)
    at = await views.standing(session, cohort_id, head.playbook.stall_threshold_days)
    rows = (await partner_rows.partner_page(session, cohort_id, at, limit=None)).rows
    counts = await views.member_counts(session, cohort_id, at)
    steps = await views.step_counts(session, cohort_id, head.playbook)
    return CohortProgress(
        cohort=_cohort_out(head, counts.partners),
        partners=[PartnerProgress(**vars(r)) for r in rows],
        by_stage=counts.by_stage,
        by_status=counts.by_status,
        steps=[StepCounts(**vars(s)) for s in steps],
    )
