"""Today's classification-based items (db/views/today.py): partners the last tier review classified "at risk"
or "not yet", with the days since each last acted, computed in SQL from the moments
domain/intel/classify.state reads (joining, a step's first sight or completion, an intro asked, a deal the
partner registered; see _last_acted for the one difference), so nobody is rescored. The wording and rank
are domain/intel/today.classified's.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CTE, Select, and_, func, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from db.cosell_models import AccountMatch, Deal, IntroRequest
from db.intel_models import StepVisit
from db.models import Cohort, CohortMember, EmailOutbox, Journey, JourneyStep, Partner
from db.repositories.partner_facts import STEP_EMAILS
from domain.intel import today as kinds
from domain.intel.today import TodayItem, Who

Programs = Collection[str] | None
Rows = Select[*tuple[Any, ...]]
ENDED = ("closed", "cancelled")
CLASSES = ("at_risk", "not_yet")
DAY = timedelta(days=1)
SHOWN_SCORES = {"behavior": "behavior", "gtm_readiness": "readiness", "field_advocacy": "field advocacy"}
ACTION = "Open the partner: its signals give the next best action"


def running(programs: Programs) -> Any:
    """Cohorts not ended, in `programs` (None: every program)."""
    live = Cohort.status.not_in(ENDED)
    return and_(live, Cohort.program_id.in_(list(programs))) if programs is not None else live


def members(programs: Programs) -> Rows:
    """Partner ids of the current members of running cohorts in `programs`."""
    return (
        select(CohortMember.partner_id)
        .join(Cohort, Cohort.id == CohortMember.cohort_id)
        .where(CohortMember.removed_at.is_(None), running(programs))
    )


def _first_seen(journeys: Rows, moment: datetime) -> Rows:
    """Each step's first sight, per partner: its first link-page visit or first click in its invite or
    reminder email (whose dedupe key starts with "<journey>/<step>/"), as partner_facts reads it."""
    at_step = and_(JourneyStep.journey_id == StepVisit.journey_id, JourneyStep.step_key == StepVisit.step_key)
    visits = (
        select(JourneyStep.journey_id.label("j"), JourneyStep.step_key.label("s"), StepVisit.visited_at.label("at"))
        .select_from(StepVisit)
        .join(JourneyStep, at_step)
        .where(StepVisit.journey_id.in_(journeys))
    )
    prefix = JourneyStep.journey_id + "/" + JourneyStep.step_key + "/"
    of_step = and_(
        EmailOutbox.journey_id == JourneyStep.journey_id,
        func.substr(EmailOutbox.dedupe_key, 1, func.length(prefix)) == prefix,
    )
    clicks = (
        select(JourneyStep.journey_id, JourneyStep.step_key, EmailOutbox.clicked_at)
        .select_from(JourneyStep)
        .join(EmailOutbox, of_step)
        .where(JourneyStep.journey_id.in_(journeys), EmailOutbox.kind.in_(STEP_EMAILS))
        .where(EmailOutbox.clicked_at.is_not(None))
    )
    both = union_all(visits, clicks).subquery()
    first = func.min(both.c.at)
    return (
        select(Journey.partner_id, first)
        .join(Journey, Journey.id == both.c.j)
        .group_by(both.c.j, both.c.s, Journey.partner_id)
        .having(first <= moment)
    )


def _last_acted(ids: CTE, moment: datetime) -> Any:
    """(pid, at): each partner's latest moment as classify.state counts them. A journey's `last_progress_at`
    (its latest step completion, else its start) stands for joining and completions: it reads journeys, not
    every step's answers; it differs only in counting a later cohort's start as a moment. A partner with no
    journey joined when it was added."""
    pids = select(ids.c.id)
    journeys = select(Journey.id).where(Journey.partner_id.in_(pids))
    moments = union_all(
        select(Journey.partner_id.label("pid"), Journey.last_progress_at.label("at")).where(
            Journey.partner_id.in_(pids), Journey.last_progress_at <= moment
        ),
        # NOT IN, not NOT EXISTS: journeys has no partner_id index, so a correlated probe scans it per partner.
        select(Partner.id, Partner.created_at).where(
            Partner.id.in_(pids), Partner.id.not_in(select(Journey.partner_id))
        ),
        _first_seen(journeys, moment),
        select(IntroRequest.partner_id, IntroRequest.requested_at).where(
            IntroRequest.partner_id.in_(pids), IntroRequest.requested_at <= moment
        ),
        select(Deal.partner_id, Deal.registered_at).where(
            Deal.partner_id.in_(pids), Deal.source == "partner", Deal.registered_at <= moment
        ),
    ).subquery()
    return select(moments.c.pid, func.max(moments.c.at).label("at")).group_by(moments.c.pid).subquery()


def _reasons(scores: dict[str, Any] | None) -> tuple[str, ...]:
    """The scores behind the stored classification (its own reasons are not stored); the page dates them."""
    shown = [f"{name} {scores[key]}" for key, name in SHOWN_SCORES.items() if scores and key in scores]
    return (", ".join(shown),) if shown else ("so classified by the tier review",)


async def classified_items(
    session: AsyncSession, programs: Programs, moment: datetime, limit: int
) -> tuple[list[tuple[TodayItem, datetime | None]], datetime | None]:
    """The `limit` first classification-based items (each with when it was classified) and the newest
    classification among the members in scope."""
    ids = select(Partner.id).where(Partner.classification.in_(CLASSES), Partner.id.in_(members(programs))).cte()
    last = _last_acted(ids, moment)
    overlap = select(AccountMatch.partner_id).where(AccountMatch.partner_id == Partner.id).exists()
    rows = await session.execute(
        select(Partner.id, Partner.tier, Partner.classification, overlap, last.c.at)
        .join(last, last.c.pid == Partner.id)
        .where(Partner.id.in_(select(ids.c.id)))
    )
    # Rows are cheap; the wording (name, stored scores) is read only for the few that make the list.
    judged = {
        pid: (tier, kinds.Classified(c, (), ACTION, bool(o), (moment - at) // DAY)) for pid, tier, c, o, at in rows
    }
    found = (kinds.classified(Who(pid, "", tier), c, moment) for pid, (tier, c) in judged.items())
    first = kinds.rank((i for i in found if i is not None), limit)
    worded = await session.execute(
        select(Partner.id, Partner.name, Partner.tier, Partner.scores, Partner.scored_at).where(
            Partner.id.in_([i.partner_id for i in first])
        )
    )
    out = []
    for r in worded:
        c = replace(judged[r.id][1], reasons=_reasons(r.scores))
        if (item := kinds.classified(Who(r.id, r.name, r.tier), c, moment)) is not None:
            out.append((item, r.scored_at))
    newest = await session.scalar(select(func.max(Partner.scored_at)).where(Partner.id.in_(members(programs))))
    return out, newest
