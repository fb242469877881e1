"""Co-sell metrics from the read model (deals, attributions, AE feedback). Scope:

- a partner: every deal of the partner (optionally in one program);
- a cohort: the deals tied to the cohort. A deal is tied at registration: registered from the
  cohort's journey step, or named by the PM, or — for PM and CRM registrations — the one window of the
  program the partner was a member of at that moment (db.repositories.deals.window_cohort).

Time to first co-sell deal counts from the window's start to the deal's registration, the same
moment as the `deal_registered` event on the journey timeline.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from api.deals.service import program_of
from api.errors import NotFound
from api.metrics.schemas import (
    CohortMetrics,
    Count,
    DealMetrics,
    FeedbackMetrics,
    FirstDeal,
    Metrics,
    PartnerLine,
    Rate,
)
from db.cosell_models import Deal
from db.models import Cohort, Partner
from db.repositories import cohorts, feedback
from db.repositories import deals as deal_repo
from db.repositories import deals as repo
from domain.deals import ACCEPTED_OR_LATER, Attribution, Stage


def _count(deals: Iterable[Deal]) -> Count:
    ids = [d.id for d in deals]
    return Count(count=len(ids), deal_ids=ids)


def _rate(numerator: int, denominator: int) -> Rate:
    return Rate(
        value=round(numerator / denominator, 3) if denominator else None, numerator=numerator, denominator=denominator
    )


def _amounts(deals: Iterable[Deal]) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for deal in deals:
        if deal.amount is not None:
            totals[deal.currency] += deal.amount
    return dict(sorted(totals.items()))


def _mean(values: list[int]) -> float | None:
    return round(statistics.fmean(values), 2) if values else None


async def _deal_metrics(session: AsyncSession, deals: list[Deal]) -> DealMetrics:
    said = await repo.attributions(session, [d.id for d in deals])
    by_attribution: dict[str, list[Deal]] = {a.value: [] for a in Attribution}
    for deal in deals:
        best = repo.attribution_of(said[deal.id])
        by_attribution[best.attribution if best else deal.partner_role].append(deal)
    stage = lambda *stages: [d for d in deals if d.stage in stages]  # noqa: E731
    won, lost = stage(Stage.closed_won), stage(Stage.closed_lost)
    live = stage(Stage.accepted, Stage.open)
    return DealMetrics(
        registered=_count(deals),
        accepted=_count(stage(*ACCEPTED_OR_LATER)),
        rejected=_count(stage(Stage.rejected)),
        open=_count(live),
        won=_count(won),
        lost=_count(lost),
        win_rate=_rate(len(won), len(won) + len(lost)),
        pipeline_amount=_amounts(live),
        won_amount=_amounts(won),
        attribution={k: _count(v) for k, v in by_attribution.items()},
    )


async def _feedback_metrics(session: AsyncSession, deals: list[Deal]) -> FeedbackMetrics:
    rows = await feedback.for_deals(session, [d.id for d in deals])
    submitted = [r for r in rows if r.status == "submitted"]
    referrals = sorted({r.deal_id for r in submitted if r.invite_again})
    return FeedbackMetrics(
        requested=len(rows),
        submitted=len(submitted),
        expired=sum(r.status == "expired" for r in rows),
        pending=sum(r.status == "requested" for r in rows),
        response_rate=_rate(len(submitted), len(rows)),
        ae_referrals=Count(count=sum(bool(r.invite_again) for r in submitted), deal_ids=referrals),
        avg_role_clarity=_mean([r.role_clarity for r in submitted if r.role_clarity is not None]),
        avg_responsiveness=_mean([r.responsiveness for r in submitted if r.responsiveness is not None]),
    )


def _first_deal(cohort: Cohort, deals: list[Deal]) -> FirstDeal | None:
    mine = sorted((d for d in deals if d.cohort_id == cohort.id), key=lambda d: (d.registered_at, d.id))
    if not mine:
        return None
    first = mine[0]
    days = max((first.registered_at - cohort.starts_at).total_seconds(), 0) / 86_400
    return FirstDeal(
        days=round(days, 2),
        cohort_id=cohort.id,
        window_start=cohort.starts_at,
        deal_id=first.id,
        registered_at=first.registered_at,
    )


async def partner_metrics(session: AsyncSession, partner_id: str, program: str | None) -> Metrics:
    partner = await session.get(Partner, partner_id)
    if partner is None:
        raise NotFound(f"partner {partner_id} not found")
    program_id = (await program_of(session, program)).id if program else None
    deals = await deal_repo.listing(session, program_id=program_id, partner_id=partner_id)
    first = next((f for c in await cohorts.of_partner(session, partner_id) if (f := _first_deal(c, deals))), None)
    return Metrics(
        scope={"partner_id": partner_id, "program_id": program_id},
        deals=await _deal_metrics(session, deals),
        feedback=await _feedback_metrics(session, deals),
        time_to_first_deal=first,
    )


async def cohort_metrics(session: AsyncSession, cohort_id: str) -> CohortMetrics:
    cohort = await session.get(Cohort, cohort_id)
    if cohort is None:
        raise NotFound(f"cohort {cohort_id} not found")
    deals = await deal_repo.listing(session, cohort_id=cohort_id)
    lines = []
    for member in await cohorts.active_members(session, cohort_id):
        theirs = [d for d in deals if d.partner_id == member.id]
        lines.append(
            PartnerLine(
                partner_id=member.id,
                name=member.name,
                registered=len(theirs),
                won=sum(d.stage == Stage.closed_won for d in theirs),
                time_to_first_deal=_first_deal(cohort, theirs),
            )
        )
    days = [line.time_to_first_deal.days for line in lines if line.time_to_first_deal]
    earliest = min(
        (line.time_to_first_deal for line in lines if line.time_to_first_deal), key=lambda f: f.days, default=None
    )
    return CohortMetrics(
        scope={"cohort_id": cohort_id, "program_id": cohort.program_id},
        deals=await _deal_metrics(session, deals),
        feedback=await _feedback_metrics(session, deals),
        time_to_first_deal=earliest,
        partners=lines,
        partners_with_deal=len(days),
        median_days_to_first_deal=round(statistics.median(days), 2) if days else None,
    )
