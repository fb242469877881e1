"""A cohort's experiments: per experiment and variant, the partners given it and their co-sell outcomes
from the moment they were given it, each figure with the counts behind it (never opens or clicks).

- steps completed on time: steps invited since the assignment that were completed or fell due (N), those
  completed by their due date (n); steps still open before their due date are not counted yet;
- intros accepted: intro requests the partners made since the assignment (N), accepted by the AE (n);
- deals registered: partners given the variant (N), those with a deal registered since (n);
- time to first deal: the median days from assignment to the first such deal, over those n partners.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.cosell_models import Deal, IntroRequest
from db.experiment_models import JourneyVariant
from db.models import JourneyStep

V = JourneyVariant


@dataclass(frozen=True)
class Ratio:
    n: int
    of: int

    def __str__(self) -> str:
        return f"{self.n}/{self.of}" + (f" ({round(100 * self.n / self.of)}%)" if self.of else "")


@dataclass(frozen=True)
class VariantResult:
    variant: str
    partners: int
    on_time: Ratio
    intros_accepted: Ratio
    deals: Ratio  # partners with a deal registered since the assignment, of the partners given the variant
    median_days_to_first_deal: float | None  # over `deals.n` partners


@dataclass(frozen=True)
class ExperimentResult:
    key: str
    variants: list[VariantResult]


Pair = tuple[str, str]


async def _counts(
    session: AsyncSession, cohort_id: str
) -> tuple[dict[Pair, int], dict[Pair, Ratio], dict[Pair, Ratio]]:
    pair = (V.experiment, V.variant)
    assigned = await session.execute(select(*pair, func.count()).where(V.cohort_id == cohort_id).group_by(*pair))
    decided = or_(JourneyStep.completed_at.is_not(None), JourneyStep.status == "overdue")
    on_time = case((JourneyStep.completed_at <= JourneyStep.due_at, 1), else_=0)
    steps = await session.execute(
        select(*pair, func.count(), func.coalesce(func.sum(on_time), 0))
        .join(JourneyStep, and_(JourneyStep.journey_id == V.journey_id, JourneyStep.invited_at >= V.assigned_at))
        .where(V.cohort_id == cohort_id, decided)
        .group_by(*pair)
    )
    accepted = case((IntroRequest.status == "accepted", 1), else_=0)
    intros = await session.execute(
        select(*pair, func.count(), func.coalesce(func.sum(accepted), 0))
        .join(IntroRequest, and_(IntroRequest.journey_id == V.journey_id, IntroRequest.requested_at >= V.assigned_at))
        .where(V.cohort_id == cohort_id)
        .group_by(*pair)
    )
    return (
        {(e, v): n for e, v, n in assigned},
        {(e, v): Ratio(int(n), of) for e, v, of, n in steps},
        {(e, v): Ratio(int(n), of) for e, v, of, n in intros},
    )


async def _first_deals(session: AsyncSession, cohort_id: str) -> dict[Pair, list[timedelta]]:
    """Per variant, each partner's time from its assignment to its first deal registered since."""
    deal_of = and_(
        Deal.partner_id == V.partner_id,
        or_(Deal.cohort_id == V.cohort_id, Deal.cohort_id.is_(None)),  # a CRM import may name no cohort
        Deal.registered_at >= V.assigned_at,
    )
    rows = await session.execute(
        select(V.experiment, V.variant, V.assigned_at, func.min(Deal.registered_at))
        .join(Deal, deal_of)
        .where(V.cohort_id == cohort_id)
        .group_by(V.journey_id, V.experiment, V.variant, V.assigned_at)
    )
    found: dict[Pair, list[timedelta]] = defaultdict(list)
    for experiment, variant, assigned_at, first in rows:
        found[(experiment, variant)].append(_aware(first) - _aware(assigned_at))
    return found


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def cohort_experiments(session: AsyncSession, cohort_id: str) -> list[ExperimentResult]:
    assigned, steps, intros = await _counts(session, cohort_id)
    deals = await _first_deals(session, cohort_id)
    by_experiment: dict[str, list[VariantResult]] = defaultdict(list)
    for (experiment, variant), partners in sorted(assigned.items()):
        waits = deals.get((experiment, variant), [])
        median = statistics.median(w / timedelta(days=1) for w in waits) if waits else None
        by_experiment[experiment].append(
            VariantResult(
                variant=variant,
                partners=partners,
                on_time=steps.get((experiment, variant), Ratio(0, 0)),
                intros_accepted=intros.get((experiment, variant), Ratio(0, 0)),
                deals=Ratio(len(waits), partners),
                median_days_to_first_deal=round(median, 1) if median is not None else None,
            )
        )
    return [ExperimentResult(key, variants) for key, variants in by_experiment.items()]
