"""The Audit log page: who did what, when; filterable by actor, action and date; 100 entries a page."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.dashboard.access import ViewerDep, page
from api.deps import SessionDep
from db.views import audit

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 100


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@router.get("/audit", response_class=HTMLResponse)
async def audit_page(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    actor: str = "",
    action: str = "",
    since: str = "",
    until: str = "",
    before: int | None = None,
) -> HTMLResponse:
    first, last = _day(since), _day(until)
    filters = audit.AuditFilters(
        actor=actor.strip()[:120],
        action=action.strip()[:60],
        since=datetime.combine(first, time(), UTC) if first else None,
        until=datetime.combine(last + timedelta(days=1), time(), UTC) if last else None,  # the whole last day
    )
    rows = await audit.entries(session, viewer.program_ids, filters, before, PAGE_SIZE + 1)
    more, rows = len(rows) > PAGE_SIZE, rows[:PAGE_SIZE]
    query = {
        "actor": filters.actor,
        "action": filters.action,
        "since": since if first else "",
        "until": until if last else "",
    }
    return page(
        request,
        "audit.html",
        active="audit",
        rows=rows,
        more=more,
        query=query,
        actions=await audit.actions(session),
        bad_dates=bool((since and not first) or (until and not last)),
    )
