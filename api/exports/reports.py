"""The pages of the partners, deals, AE feedback and timeline exports: keyset pages, each read in its own
short transaction and built by the same code as the JSON API's answer, so memory holds one page."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select, true

from api.deals import service as deals
from api.exports.rows import DealRow, FeedbackRow, PartnerSignalsRow, TimelineRow
from api.intel import partner360
from api.intel.schemas import ActionOut, PartnerSummaryOut
from db.cosell_models import AccountExecutive, AeFeedback, Deal
from db.models import CohortMember, Partner
from db.repositories import partner_facts, programs
from db.session import SessionFactory, transaction
from domain.intel.assess import assess
from domain.intel.rubric import program_rubric

PAGE = 200


def _after(columns: Sequence[Any], last: Sequence[Any] | None) -> Any:
    """Keyset: rows strictly after `last` in the order of `columns` (portable, no row-value syntax)."""
    if last is None:
        return true()
    terms = []
    for i, column in enumerate(columns):
        terms.append(and_(*(c == v for c, v in zip(columns[:i], last, strict=False)), column > last[i]))
    return or_(*terms)


async def partner_signals(
    sessions: SessionFactory, cohort_id: str, as_of: datetime, page: int = PAGE
) -> AsyncIterator[Sequence[PartnerSignalsRow]]:
    """The rows of GET /cohorts/{id}/intelligence's `partners`, by name, `page` partners judged at a time."""
    last: tuple[str, str] | None = None
    order = (Partner.name, Partner.id)
    while True:
        async with transaction(sessions) as session:
            rubric = program_rubric(await programs.rubric_of_cohort(session, cohort_id))
            found = (
                await session.execute(
                    select(Partner.name, Partner.id)
                    .join(CohortMember, CohortMember.partner_id == Partner.id)
                    .where(CohortMember.cohort_id == cohort_id, CohortMember.removed_at.is_(None), _after(order, last))
                    .order_by(*order)
                    .limit(page)
                )
            ).all()
            ids = [r.id for r in found]
            facts = await partner_facts.load_many(session, ids)
        rows = []
        for pid in ids:
            if pid in facts:
                a = assess(facts[pid], as_of, rubric)
                summary = PartnerSummaryOut(
                    partner_id=pid, name=facts[pid].name, values=a.values, tier=a.tier.tier, move=a.tier.move,
                    classification=a.classification.label, reasons=list(a.classification.reasons),
                    next_action=ActionOut.model_validate(a.next_action),
                )  # fmt: skip
                rows.append(PartnerSignalsRow.of(summary))
        yield rows
        if len(found) < page:
            return
        last = (found[-1].name, found[-1].id)


async def deal_rows(sessions: SessionFactory, where: list[Any], page: int = PAGE) -> AsyncIterator[Sequence[DealRow]]:
    """The deals of GET /deals (same filters, registration order) as GET /deals/{id} shows each."""
    last: tuple[datetime, str] | None = None
    order = (Deal.registered_at, Deal.id)
    while True:
        async with transaction(sessions) as session:
            found = list(
                await session.scalars(select(Deal).where(*where, _after(order, last)).order_by(*order).limit(page))
            )
            outs = await deals.outs(session, found)
        yield [DealRow.of(d) for d in outs]
        if len(found) < page:
            return
        last = (found[-1].registered_at, found[-1].id)


async def feedback_rows(
    sessions: SessionFactory, where: list[Any], page: int = PAGE
) -> AsyncIterator[Sequence[FeedbackRow]]:
    """Every submitted AE feedback, oldest answer first, with its deal, partner and AE."""
    last: tuple[datetime | None, str, str] | None = None
    order = (AeFeedback.submitted_at, AeFeedback.deal_id, AeFeedback.ae_id)
    while True:
        async with transaction(sessions) as session:
            found = (
                await session.execute(
                    select(AeFeedback, Deal.account_name, Deal.program_id, Partner.name, AccountExecutive)
                    .join(Deal, Deal.id == AeFeedback.deal_id)
                    .join(Partner, Partner.id == AeFeedback.partner_id)
                    .join(AccountExecutive, AccountExecutive.id == AeFeedback.ae_id)
                    .where(AeFeedback.status == "submitted", *where, _after(order, last))
                    .order_by(*order)
                    .limit(page)
                )
            ).all()
        yield [
            FeedbackRow(
                deal_id=f.deal_id,
                account_name=account,
                ae_name=ae.name,
                contribution=f.contribution or "",
                role_clarity=f.role_clarity or 0,
                responsiveness=f.responsiveness or 0,
                invite_again=bool(f.invite_again),
                submitted_at=f.submitted_at,
                partner_id=f.partner_id,
                partner_name=partner_name,
                program_id=program_id,
                ae_email=ae.email,
                comment=f.comment,
            )  # fmt: skip
            for f, account, program_id, partner_name, ae in found
        ]
        if len(found) < page:
            return
        f = found[-1][0]
        last = (f.submitted_at, f.deal_id, f.ae_id)


async def timeline_rows(sessions: SessionFactory, partner_id: str) -> AsyncIterator[Sequence[TimelineRow]]:
    """The journeys of GET /partners/{id}/360 (newest first), each journey's timeline (oldest first) a page."""
    async with transaction(sessions) as session:
        journeys = await partner360.journeys_of(session, partner_id)
    for j in journeys:
        yield [TimelineRow.of(j, e) for e in j.timeline]
