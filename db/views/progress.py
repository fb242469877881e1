"""A cohort's progress computed in SQL: where the cohort stands and its summary counts.

The progress endpoints and the PM dashboard read these. Nothing here loads a step's answers or builds
ORM objects: every query selects the columns it shows, and the indexes of migration l12progress01 serve
them (tests/db/test_progress_plans.py checks the plans on Postgres).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, false, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Cohort, CohortMember, Journey, JourneyStep, Partner, PlaybookSnapshot, Program
from db.repositories import playbooks as playbook_repo

FINAL = ("completed", "exited")
NOT_STARTED = "not_started"


@dataclass(frozen=True)
class PlaybookFacts:
    """What progress needs of a playbook version: its stall threshold and its steps in order."""

    stall_threshold_days: int
    steps: tuple[tuple[str, str, str], ...]  # (step key, stage, title)


@dataclass(frozen=True)
class CohortHead:
    cohort: Cohort
    program: str
    sha256: str
    playbook: PlaybookFacts


@dataclass(frozen=True)
class Standing:
    """Where the cohort stands: the median last progress, and before which moment a running journey lags."""

    median: datetime | None
    lagging_before: datetime | None

    def days_behind(self, last_progress_at: datetime | None) -> float:
        if self.median is None or last_progress_at is None or last_progress_at >= self.median:
            return 0.0
        return round((self.median - last_progress_at) / timedelta(days=1), 1)

    def lagging(self, last_progress_at: datetime | None, status: str) -> bool:
        return (
            self.lagging_before is not None
            and last_progress_at is not None
            and last_progress_at < self.lagging_before
            and status not in (*FINAL, NOT_STARTED)
        )


# A published (id, version, sha256) never changes, so its parsed facts are kept for the process.
_facts: dict[tuple[str, int, str], PlaybookFacts] = {}


async def _playbook_facts(session: AsyncSession, playbook_id: str, version: int, sha256: str) -> PlaybookFacts:
    key = (playbook_id, version, sha256)
    if key not in _facts:
        snapshot = await playbook_repo.get(session, playbook_id, version)
        assert snapshot is not None, f"cohort pins playbook {playbook_id} v{version}, which is not published"
        model = playbook_repo.to_model(snapshot)
        steps = tuple((s.key, st.key.value, s.title) for st, _, s in model.iter_steps())
        _facts[key] = PlaybookFacts(model.stall_threshold_days, steps)
    return _facts[key]


async def cohort_head(session: AsyncSession, cohort_id: str) -> CohortHead | None:
    """The cohort with its program's name and its playbook pin, without loading the playbook's content."""
    found = (
        await session.execute(
            select(Cohort, Program.name, PlaybookSnapshot.sha256)
            .join(Program, Program.id == Cohort.program_id)
            .join(
                PlaybookSnapshot,
                and_(
                    PlaybookSnapshot.playbook_id == Cohort.playbook_id,
                    PlaybookSnapshot.version == Cohort.playbook_version,
                ),
            )
            .where(Cohort.id == cohort_id)
        )
    ).first()
    if found is None:
        return None
    cohort, program, sha256 = found
    facts = await _playbook_facts(session, cohort.playbook_id, cohort.playbook_version, sha256)
    return CohortHead(cohort, program, sha256, facts)


async def standing(session: AsyncSession, cohort_id: str, stall_threshold_days: int) -> Standing:
    """The low median of every journey's last progress (removed partners' journeys included, as before),
    read as one step along ix_journeys_cohort_last_progress."""
    count = await session.scalar(select(func.count()).where(Journey.cohort_id == cohort_id)) or 0
    if not count:
        return Standing(None, None)
    median = await session.scalar(
        select(Journey.last_progress_at)
        .where(Journey.cohort_id == cohort_id)
        .order_by(Journey.last_progress_at)
        .offset((count - 1) // 2)
        .limit(1)
    )
    assert median is not None
    return Standing(median, median - timedelta(days=stall_threshold_days))


def lagging_condition(at: Standing) -> Any:
    if at.lagging_before is None:
        return false()
    return and_(Journey.last_progress_at < at.lagging_before, Journey.status.not_in(FINAL))


@dataclass(frozen=True)
class Counts:
    partners: int
    by_stage: dict[str, int]
    by_status: dict[str, int]
    by_tier: dict[int, int]
    lagging: int


def _journey_counts(cohort_id: str, at: Standing, removed: bool) -> Any:
    """Journeys by stage, status and lagging: every journey of the cohort (an index-only read of
    ix_journeys_cohort_stage_status), or only those of removed members, to take away."""
    late = case((lagging_condition(at), 1), else_=0)
    query = select(Journey.stage, Journey.status, func.sum(late), func.count()).where(Journey.cohort_id == cohort_id)
    if removed:
        query = query.join(
            CohortMember,
            and_(CohortMember.cohort_id == Journey.cohort_id, CohortMember.partner_id == Journey.partner_id),
        ).where(CohortMember.removed_at.is_not(None))
    return query.group_by(Journey.stage, Journey.status)


async def member_counts(session: AsyncSession, cohort_id: str, at: Standing) -> Counts:
    """Active members counted by stage, status, tier and lagging; `not_started`: members without a journey."""
    by_stage: dict[str, int] = {}
    by_status: dict[str, int] = {}
    lagged = started = 0
    for removed, sign in ((False, 1), (True, -1)):
        for stage, status, late, n in await session.execute(_journey_counts(cohort_id, at, removed)):
            by_stage[stage] = by_stage.get(stage, 0) + sign * n
            by_status[status] = by_status.get(status, 0) + sign * n
            lagged, started = lagged + sign * int(late or 0), started + sign * n
    tiers = await session.execute(
        select(Partner.tier, func.count())
        .join(CohortMember, CohortMember.partner_id == Partner.id)
        .where(CohortMember.cohort_id == cohort_id, CohortMember.removed_at.is_(None))
        .group_by(Partner.tier)
    )
    by_tier = {tier: n for tier, n in tiers}
    total = sum(by_tier.values())
    by_status[NOT_STARTED] = total - started
    return Counts(
        total,
        {k: n for k, n in by_stage.items() if n},
        {k: n for k, n in by_status.items() if n},
        by_tier,
        lagged,
    )


@dataclass
class StepState:
    step_key: str
    stage: str
    title: str
    invited: int = 0
    open: int = 0
    completed: int = 0
    overdue: int = 0


async def step_counts(session: AsyncSession, cohort_id: str, playbook: PlaybookFacts) -> list[StepState]:
    """Every step of the playbook (in order) with how many partners are in each state of it; a migrated
    journey can run steps the cohort's version does not have, which follow."""
    steps = {key: StepState(key, stage, title) for key, stage, title in playbook.steps}
    rows = await session.execute(
        select(JourneyStep.step_key, JourneyStep.stage, JourneyStep.status, func.count())
        .join(Journey, Journey.id == JourneyStep.journey_id)
        .where(Journey.cohort_id == cohort_id)
        .group_by(JourneyStep.step_key, JourneyStep.stage, JourneyStep.status)
    )
    for key, stage, status, n in rows:
        counts = steps.setdefault(key, StepState(key, stage, key))
        counts.invited += n
        if status == "completed":
            counts.completed += n
        elif status == "overdue":
            counts.overdue += n
        elif status != "closed":  # closed: a parallel play completed without it
            counts.open += n
    return list(steps.values())
