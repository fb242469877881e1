"""The dashboard's Today: the act-today items of the viewer's running cohorts, read in SQL, ranked by
domain/intel/today.py's rule (its builders word each item), without rescoring anyone.

Explicit items (gate holds, unanswered intros, flagged deals, expired feedback asks, answers waiting for
review) are rows of the current members of running cohorts in the viewer's programs. Each kind's query
reads only the `limit` longest-waiting items per tier: within a kind and tier waiting longer never ranks
lower, so those hold the kind's share of the top `limit`. The classification-based items (a "not yet"
partner with overlapping accounts, an at-risk or not-yet partner idle for 7+ days) read the classification
the last tier review stored on `partners` (db/repositories/tier_reviews) and the days since the partner
last acted, counted now in SQL from the moments domain/intel/classify.state reads (today_idle.py).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Text, and_, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.cosell_models import AccountExecutive, AeFeedback, Deal, IntroRequest, VendorAccount
from db.intel_models import SubmissionReview
from db.models import Cohort, CohortMember, Journey, JourneyEvent, JourneyStep, Partner
from db.repositories import playbooks as playbook_repo
from db.views.today_idle import ENDED, classified_items, members, running
from domain.intel import today as kinds
from domain.intel.facts import answer_kinds_of
from domain.intel.today import TodayItem, Who

Programs = Collection[str] | None
Rows = Select[*tuple[Any, ...]]
WHO = (Partner.id.label("pid"), Partner.name.label("name"), Partner.tier.label("tier"))
COHORT = (Cohort.id.label("cohort_id"), Cohort.name.label("cohort_name"))
__all__ = ["ENDED", "Entry", "Today", "today"]


@dataclass(frozen=True)
class Entry:
    item: TodayItem
    cohort_id: str
    cohort_name: str
    classified_at: datetime | None = None  # a classification-based item: the tier review that classified it


@dataclass(frozen=True)
class Today:
    entries: list[Entry]
    reviewed_at: datetime | None  # the newest tier review that classified a partner in scope; None: none yet


def _who(row: Any) -> Who:
    return Who(row.pid, row.name, row.tier)


def _scoped_journeys(query: Rows, programs: Programs) -> Rows:
    """Rows of journeys of current members of running cohorts in `programs`, with partner and cohort."""
    member = and_(CohortMember.cohort_id == Journey.cohort_id, CohortMember.partner_id == Journey.partner_id)
    return (
        query.join(Partner, Partner.id == Journey.partner_id)
        .join(Cohort, Cohort.id == Journey.cohort_id)
        .join(CohortMember, member)
        .where(CohortMember.removed_at.is_(None), running(programs))
    )


def _longest_waiting(query: Rows, since: Any, limit: int) -> Rows:
    """The `limit` longest-waiting rows of each tier, in the rank's order within a kind and tier."""
    n = func.row_number().over(partition_by=Partner.tier, order_by=(since, Partner.id)).label("n")
    rows = query.add_columns(since.label("since"), n).subquery()
    return select(rows).where(rows.c.n <= limit)


async def _gate_holds(session: AsyncSession, programs: Programs, moment: datetime, limit: int) -> list[Entry]:
    """Journeys held at a gate (as the board lists them), each with its latest hold's reason and time."""
    later = JourneyEvent.__table__.alias("later")
    newest = ~(
        select(later.c.id)
        .where(later.c.journey_id == JourneyEvent.journey_id, later.c.kind == "gate_held")
        .where(later.c.occurred_at > JourneyEvent.occurred_at)
        .exists()
    )
    query = _scoped_journeys(select(*WHO, *COHORT, JourneyEvent.data.label("data")).select_from(Journey), programs)
    query = query.join(JourneyEvent, JourneyEvent.journey_id == Journey.id).where(
        Journey.status == "held", JourneyEvent.kind == "gate_held", newest
    )
    rows = await session.execute(_longest_waiting(query, JourneyEvent.occurred_at, limit))
    return [
        Entry(
            kinds.gate_hold(_who(r), str((r.data or {}).get("reason", "held at a gate")), r.since, moment),
            r.cohort_id,
            r.cohort_name,
        )
        for r in rows
    ]


async def _intros(session: AsyncSession, programs: Programs, moment: datetime, limit: int) -> list[Entry]:
    columns = (
        *WHO,
        *COHORT,
        IntroRequest.ae_id,
        AccountExecutive.name.label("ae"),
        VendorAccount.name.label("account"),
    )
    query = _scoped_journeys(select(*columns).select_from(IntroRequest).join(Journey), programs)
    query = (
        query.join(VendorAccount, VendorAccount.id == IntroRequest.vendor_account_id)
        .join(AccountExecutive, AccountExecutive.id == IntroRequest.ae_id)
        .where(IntroRequest.status.in_(("sent", "escalated")))
    )
    rows = await session.execute(_longest_waiting(query, IntroRequest.requested_at, limit))
    return [
        Entry(kinds.intro_waiting(_who(r), r.ae or r.ae_id, r.account, r.since, moment), r.cohort_id, r.cohort_name)
        for r in rows
    ]


async def _judged_steps(session: AsyncSession, programs: Programs) -> dict[tuple[str, int], dict[str, str]]:
    """For each playbook version the scoped journeys run: its steps whose answers are judged, key -> title."""
    version = func.coalesce(Journey.playbook_version, Cohort.playbook_version)
    query = _scoped_journeys(select(Cohort.playbook_id, version).select_from(Journey), programs).distinct()
    out: dict[tuple[str, int], dict[str, str]] = {}
    for playbook_id, v in await session.execute(query):
        book = await playbook_repo.model(session, playbook_id, v)  # parsed once per process
        steps = [step for _, _, step in book.iter_steps()] if book else []
        out[(playbook_id, v)] = {
            s.key: s.title
            for s in steps
            if answer_kinds_of(s.kind.value, [x.value for x in s.signals], [f.key for f in s.fields])
        }
    return out


async def _reviews(session: AsyncSession, programs: Programs, moment: datetime, limit: int) -> list[Entry]:
    """Answers no review has judged: never reviewed, or revised since (db/repositories/reviews.to_review)."""
    books = {book: steps for book, steps in (await _judged_steps(session, programs)).items() if steps}
    if not books:
        return []
    version = func.coalesce(Journey.playbook_version, Cohort.playbook_version)
    judged = or_(
        *(
            and_(Cohort.playbook_id == pb, version == v, JourneyStep.step_key.in_(list(steps)))
            for (pb, v), steps in books.items()
        )
    )
    reviewed = and_(
        SubmissionReview.journey_id == JourneyStep.journey_id, SubmissionReview.step_key == JourneyStep.step_key
    )
    columns = (*WHO, *COHORT, JourneyStep.step_key, Cohort.playbook_id, version.label("version"))
    query = _scoped_journeys(select(*columns).select_from(JourneyStep).join(Journey), programs)
    query = query.outerjoin(SubmissionReview, reviewed).where(
        JourneyStep.completed_at.is_not(None),
        # answers, as partner_facts reads them: not empty ('{}') and not JSON null ('null'); '{"a":1}' is longer
        func.length(cast(JourneyStep.submission, Text)) > 4,
        or_(SubmissionReview.journey_id.is_(None), SubmissionReview.submitted_at != JourneyStep.completed_at),
        judged,
    )
    rows = await session.execute(_longest_waiting(query, JourneyStep.completed_at, limit))
    return [
        Entry(
            kinds.review_waiting(_who(r), books[(r.playbook_id, r.version)][r.step_key], r.since, moment),
            r.cohort_id,
            r.cohort_name,
        )
        for r in rows
    ]


def _in_programs(column: Any, programs: Programs) -> Any:
    return column.in_(list(programs)) if programs is not None else column.is_not(None)


async def _deals(session: AsyncSession, programs: Programs, moment: datetime, limit: int) -> list[Entry]:
    """Flagged registrations in the viewer's programs of partners in a running cohort (placed in one later)."""
    query = (
        select(*WHO, Deal.account_name)
        .select_from(Deal)
        .join(Partner, Partner.id == Deal.partner_id)
        .where(Deal.conflict == "flagged", _in_programs(Deal.program_id, programs))
        .where(Deal.partner_id.in_(members(programs)))
    )
    rows = await session.execute(_longest_waiting(query, Deal.registered_at, limit))
    return [Entry(kinds.flagged_deal(_who(r), r.account_name, r.since, moment), "", "") for r in rows]


async def _feedback(session: AsyncSession, programs: Programs, moment: datetime, limit: int) -> list[Entry]:
    query = (
        select(*WHO, AeFeedback.ae_id, AccountExecutive.name.label("ae"), AeFeedback.deal_id)
        .select_from(AeFeedback)
        .join(Deal, Deal.id == AeFeedback.deal_id)
        .join(AccountExecutive, AccountExecutive.id == AeFeedback.ae_id)
        .join(Partner, Partner.id == AeFeedback.partner_id)
        .where(AeFeedback.status == "expired", _in_programs(Deal.program_id, programs))
        .where(AeFeedback.partner_id.in_(members(programs)))
    )
    rows = await session.execute(_longest_waiting(query, AeFeedback.expires_at, limit))
    return [Entry(kinds.feedback_expired(_who(r), r.ae or r.ae_id, r.deal_id, r.since, moment), "", "") for r in rows]


async def _place(session: AsyncSession, programs: Programs, entries: Sequence[Entry]) -> list[Entry]:
    """Entries read per partner (deals, feedback, classification) shown in the partner's newest running cohort."""
    unplaced = {e.item.partner_id for e in entries if not e.cohort_id}
    if not unplaced:
        return list(entries)
    rows = await session.execute(
        select(CohortMember.partner_id, Cohort.id, Cohort.name)
        .join(Cohort, Cohort.id == CohortMember.cohort_id)
        .where(CohortMember.partner_id.in_(unplaced), CohortMember.removed_at.is_(None), running(programs))
        .order_by(Cohort.starts_at, Cohort.id)
    )
    cohort = {pid: (cid, name) for pid, cid, name in rows}  # the newest wins
    return [
        e
        if e.cohort_id
        else replace(e, cohort_id=cohort[e.item.partner_id][0], cohort_name=cohort[e.item.partner_id][1])
        for e in entries
    ]


async def today(session: AsyncSession, programs: Programs, moment: datetime, limit: int) -> Today:
    """At most `limit` entries, ranked as domain/intel/today.rank ranks them."""
    entries: list[Entry] = []
    for kind in (_gate_holds, _intros, _reviews, _deals, _feedback):
        entries += await kind(session, programs, moment, limit)
    by_class, reviewed_at = await classified_items(session, programs, moment, limit)
    entries += [Entry(item, "", "", at) for item, at in by_class]
    chosen = sorted(entries, key=lambda e: kinds.order(e.item))[:limit]
    return Today(await _place(session, programs, chosen), reviewed_at)
