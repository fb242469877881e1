"""Which numbers each dashboard chart draws, read from what the pages already load (and a few small queries)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from api.cohorts.schemas import CohortProgress, CohortSummary
from api.dashboard import charts
from api.intel.schemas import SignalsOut
from db.views import dashboard, tiers
from domain.intel.rubric import Rubric

TIER_REVIEWS_SHOWN = 12
SIGNAL_POINTS = 11  # past values charted, with today's
WEEKS = 8  # time to first deal: a bar per week, then one for later


def funnels(progress: CohortProgress | CohortSummary, stages: Sequence[str]) -> tuple[Markup, Markup]:
    """The stage funnel (partners now in each stage) and the per-step funnel (invited, completed, overdue)."""
    stage = charts.bars("stage-funnel", "Partners in each stage", [(s, progress.by_stage.get(s, 0)) for s in stages])
    steps = progress.steps
    per_step = charts.grouped(
        "step-funnel",
        "Each step: invited, completed, overdue",
        [s.title for s in steps],
        {
            "invited": [s.invited for s in steps],
            "completed": [s.completed for s in steps],
            "overdue": [s.overdue for s in steps],
        },
    )
    return charts.svg(stage), charts.svg(per_step)


def first_deal_buckets(starts_at: datetime, firsts: Sequence[datetime], partners: int) -> list[tuple[str, float]]:
    """Partners by the week their first co-sell deal came (from the window's start), and those with none yet."""
    counts = [0] * (WEEKS + 1)
    for at in firsts:
        days = max((at - starts_at).total_seconds(), 0) / 86_400
        counts[min(int(days // 7), WEEKS)] += 1
    labels = [f"week {w + 1}" for w in range(WEEKS)] + [f"after week {WEEKS}"]
    return [*zip(labels, counts, strict=True), ("no deal yet", max(partners - len(firsts), 0))]


async def first_deal_chart(session: AsyncSession, progress: CohortProgress | CohortSummary) -> Markup:
    cohort = progress.cohort
    firsts = await dashboard.first_deals(session, cohort.id)
    buckets = first_deal_buckets(cohort.starts_at, firsts, cohort.partners)
    return charts.svg(charts.bars("first-deal", "Time to first co-sell deal, from the window's start", buckets))


def mix_over_time(
    current: dict[int, int], reviews: Sequence[tuple[str, dict[tuple[int, int], int]]]
) -> list[tuple[str, dict[int, int]]]:
    """The tier mix after each review, rebuilt backwards from today's mix by undoing each later review's moves.
    Partners who joined since a review are counted in it at the tier they have (no past membership is kept)."""
    after = dict(current)
    out = [("now", dict(after))]
    for period, moves in reversed(reviews):
        out.append((period, dict(after)))
        for (before, now_tier), n in moves.items():
            after[now_tier] = after.get(now_tier, 0) - n
            after[before] = after.get(before, 0) + n
    out.reverse()
    return out[:-1] if reviews else out  # "now" equals the last review's mix unless partners joined or moved since


async def tier_mix_chart(session: AsyncSession, program_id: str, current: dict[int, int], rubric: Rubric) -> Markup:
    reviews = await tiers.review_moves(session, program_id, TIER_REVIEWS_SHOWN)
    mixes = mix_over_time(current, reviews)
    names = {t: f"Tier {t} {rubric.name(t)}" for t in (1, 2, 3)}
    columns = [(label, {names[t]: max(n, 0) for t, n in mix.items() if t in names}) for label, mix in mixes]
    title = "Tier mix after each tier review" if reviews else "Tier mix now (no tier review yet)"
    return charts.svg(charts.stacked("tier-mix", title, columns, list(names.values())))


async def signals_chart(session: AsyncSession, partner_id: str, now: datetime, signals: SignalsOut) -> Markup:
    """Past values exist only where a tier review moved the partner (TierMovement.signals): those, then today's."""
    past = await tiers.signal_history(session, partner_id, SIGNAL_POINTS)
    today = {s.name: s.value for s in [*signals.signals, signals.behavior]}
    moments = [*past, (now, today)]
    names = list(today)
    series = {n.replace("_", " "): [values.get(n) for _, values in moments] for n in names}
    labels = [at.strftime("%-d %b %Y") for at, _ in past] + ["today"]
    return charts.svg(charts.lines("signals-chart", "Signals at each tier movement, and today", labels, series))
