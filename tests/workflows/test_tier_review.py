"""Tier reviews on the time-skipping server: movements recorded once per period, hysteresis across
reviews, paging with continue-as-new, one digest to the PM, and a retried page that records nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from temporalio import activity
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment
from temporalio.worker import Worker
from typer.testing import CliRunner

import cli
from activities.tier_review_inputs import ReviewOpen, ReviewPage, ReviewPageResult
from activities.tier_reviews import TierReviewActivities
from db.intel_models import TierMovement
from db.models import AuditLog, EmailOutbox, JourneyEvent, Partner
from db.session import SessionFactory, transaction
from mail.render import EmailRenderer
from settings import Settings
from tests.deal_data import program_id
from tests.factories import settings_for
from tests.intel_data import DAY, START, THIN, Pace, deal, partner
from tests.intel_db import store
from tests.workflows.helpers import running_worker
from wiring import make_sender, make_signer
from workflows.tier_review.messages import (
    TierReviewInput,
    TierReviewResult,
    tier_review_workflow_id,
    tier_schedule_id,
)
from workflows.tier_review.workflow import TierReviewWorkflow

ACTIVE = START + 72 * DAY
ACCEPTED = (deal(1, "accepted", START + 30 * DAY, START + 70 * DAY),)


async def three_partners(sessions: SessionFactory, now: datetime) -> dict[str, str]:
    """Steady (Baseline, earns Emerging), thin (Emerging, far below it), late (Emerging, 7 points short)."""
    shift = now - ACTIVE
    made = {
        "steady": (partner("steady-sam", Pace(), ACTIVE, deals=ACCEPTED), 3),
        "thin": (partner("thin-tom", Pace(), ACTIVE, answers=THIN), 2),
        "late": (partner("late-lou", Pace(seen=4, done=12, reminders=2), ACTIVE, deals=ACCEPTED), 2),
    }
    return {key: await store(sessions, facts, shift, tier) for key, (facts, tier) in made.items()}


async def review(
    env: WorkflowEnvironment, settings: Settings, program: str, period: str, **kw: int
) -> TierReviewResult:
    # Auto time-skipping would jump the clock after each result; reviews here judge "now".
    with env.auto_time_skipping_disabled():
        return await env.client.execute_workflow(
            TierReviewWorkflow.run,
            TierReviewInput(program_id=program, period=period, **kw),
            id=tier_review_workflow_id(program, period),
            task_queue=settings.task_queue,
        )


async def state(sessions: SessionFactory) -> tuple[dict[str, tuple[int, int]], list[tuple[str, int, int, str]], int]:
    """Partners' (tier, missed reviews), movements (partner, from, to, review period), PM digests."""
    async with transaction(sessions) as session:
        tiers = {p.id: (p.tier, p.missed_reviews) for p in await session.scalars(select(Partner))}
        moves = [
            (m.partner_id, m.previous_tier, m.new_tier, m.review_id.rsplit("/", 1)[1])
            for m in await session.scalars(select(TierMovement).order_by(TierMovement.id))
        ]
        digests = await session.scalar(
            select(func.count()).select_from(EmailOutbox).where(EmailOutbox.kind == "pm_tier_digest")
        )
    return tiers, moves, digests or 0


async def test_reviews_record_once_per_period_and_hysteresis_holds(
    ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
) -> None:
    sessions, settings = sqlite_sessions, settings_for(sqlite_sessions)
    ids = await three_partners(sessions, await ts_env.get_current_time())
    steady, thin, late = ids["steady"], ids["thin"], ids["late"]
    program = await program_id(sessions)
    async with running_worker(ts_env.client, settings, sessions):
        # One partner per page and a new run after each page: the paging and continue-as-new path.
        first = await review(ts_env, settings, program, "2026-11", page_size=1, pages_per_run=1)
        assert (first.already_done, first.reviewed, first.moved) == (False, 3, 2), first
        tiers, moves, digests = await state(sessions)
        assert (tiers[steady], tiers[thin], tiers[late]) == ((2, 0), (3, 0), (2, 1))  # late: held, 1 miss
        assert sorted(moves) == sorted([(steady, 3, 2, "2026-11"), (thin, 2, 3, "2026-11")])
        assert digests == 1

        again = await review(ts_env, settings, program, "2026-11")
        assert (again.already_done, again.reviewed) == (True, 0), again
        assert await state(sessions) == (tiers, moves, 1)

        second = await review(ts_env, settings, program, "2026-12")
        assert (second.reviewed, second.moved) == (3, 1), second
        tiers, moves, digests = await state(sessions)
        assert (tiers[steady], tiers[thin], tiers[late]) == ((2, 0), (3, 0), (3, 0))
        assert moves[-1] == (late, 2, 3, "2026-12") and len(moves) == 3 and digests == 2

    async with transaction(sessions) as session:
        why = await session.scalar(select(TierMovement.reasons).where(TierMovement.partner_id == late))
        events = list(await session.scalars(select(JourneyEvent).where(JourneyEvent.kind == "tier_changed")))
        audits = await session.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == "tier_changed")
        )
        digest = await session.scalar(
            select(EmailOutbox).where(EmailOutbox.kind == "pm_tier_digest").order_by(EmailOutbox.created_at)
        )
    assert why == ["misses Tier 2 Emerging: proven_capability 18 < 25", "missed at 2 reviews in a row"]
    assert (len(events), audits) == (3, 3)
    assert digest is not None and digest.to_email == "pm@vendor.example"
    assert "Steady Sam" in digest.text and "Tier 3 Baseline -> Tier 2 Emerging (promoted)" in digest.text


class DiesAfterSecondPage(TierReviewActivities):
    """A worker that commits the review's second page and then never reports it: it is stopped there."""

    def __init__(self, *args: Any, committed: asyncio.Event) -> None:
        super().__init__(*args)
        self.committed, self.pages = committed, 0

    @activity.defn(name="review_tier_page")
    async def review_tier_page(self, inp: ReviewPage) -> ReviewPageResult:
        result = await super().review_tier_page(inp)
        self.pages += 1
        if self.pages == 2:
            self.committed.set()
            await asyncio.Event().wait()  # the restart cancels this: the page's result is never reported
        return result


@pytest.mark.timeout(120)
async def test_a_worker_restarted_mid_review_records_no_movement_twice(
    ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
) -> None:
    """The first worker commits page 2 and stops before reporting it; the second retries that page and
    finishes: every movement, timeline event, audit row and the PM digest exist once."""
    sessions, settings = sqlite_sessions, settings_for(sqlite_sessions)
    ids = await three_partners(sessions, await ts_env.get_current_time())
    program = await program_id(sessions)
    committed = asyncio.Event()
    parts = (sessions, make_sender(settings), make_signer(settings), EmailRenderer(), settings)
    dying = DiesAfterSecondPage(*parts, committed=committed)
    # No workflow cache, so no sticky queue for the second worker to wait out.
    first = Worker(
        ts_env.client,
        task_queue=settings.task_queue,
        workflows=[TierReviewWorkflow],
        activities=dying.all(),
        max_cached_workflows=0,
    )
    inp = TierReviewInput(program_id=program, period="2026-11", page_size=1, pages_per_run=10)
    wid = tier_review_workflow_id(program, "2026-11")
    with ts_env.auto_time_skipping_disabled():
        async with first:
            handle = await ts_env.client.start_workflow(
                TierReviewWorkflow.run, inp, id=wid, task_queue=settings.task_queue
            )
            await asyncio.wait_for(committed.wait(), timeout=60)
        mid = await state(sessions)
        async with running_worker(ts_env.client, settings, sessions):
            result = await handle.result()
    assert dying.pages == 2 and len(mid[1]) >= 1, mid
    # Page 2's result was lost with the first worker: its retry judged nobody again.
    assert (result.reviewed, result.moved) == (2, 2), result
    tiers, moves, digests = await state(sessions)
    assert (tiers[ids["steady"]], tiers[ids["thin"]], tiers[ids["late"]]) == ((2, 0), (3, 0), (2, 1))
    assert sorted(moves) == sorted([(ids["steady"], 3, 2, "2026-11"), (ids["thin"], 2, 3, "2026-11")])
    assert digests == 1
    async with transaction(sessions) as session:
        audits = await session.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == "tier_changed")
        )
        events = await session.scalar(
            select(func.count()).select_from(JourneyEvent).where(JourneyEvent.kind == "tier_changed")
        )
    assert (audits, events) == (2, 2)


async def test_a_retried_page_records_nothing_twice(sessions: SessionFactory, ts_env: WorkflowEnvironment) -> None:
    settings = settings_for(sessions)
    now = START + 200 * DAY
    await three_partners(sessions, now)
    program = await program_id(sessions)
    acts = TierReviewActivities(sessions, make_sender(settings), make_signer(settings), EmailRenderer(), settings)
    # A client: a promotion is told to the partner's journeys (none runs here; NOT_FOUND is no error).
    env = ActivityEnvironment(client=ts_env.client)
    opened = await env.run(acts.open_tier_review, ReviewOpen(program_id=program, period="2027-03", now=now))
    reopened = await env.run(
        acts.open_tier_review, ReviewOpen(program_id=program, period="2027-03", now=now + timedelta(hours=1))
    )
    assert reopened.as_of == opened.as_of == now  # a restarted review judges the same moment
    page = ReviewPage(review_id=opened.review_id, program_id=program, as_of=opened.as_of, limit=10)
    done = await env.run(acts.review_tier_page, page)
    retried = await env.run(acts.review_tier_page, page)
    assert (done.reviewed, done.moved, done.next_after) == (3, 2, None)
    assert (retried.reviewed, retried.moved) == (0, 0)
    tiers, moves, _ = await state(sessions)
    assert len(moves) == 2 and sorted(t for t, _ in tiers.values()) == [2, 2, 3]


async def test_cosell_tiers_review_reports_each_movement(
    dev_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
) -> None:
    """On the dev server: the command also makes sure the program's Schedule exists (no Schedules in the
    time-skipping server)."""
    settings = settings_for(sqlite_sessions)
    await three_partners(sqlite_sessions, datetime.now(UTC))
    program = await program_id(sqlite_sessions)
    try:
        async with running_worker(dev_env.client, settings, sqlite_sessions):
            report = await cli.review_tiers(settings, "Test program", "2026-11", client=dev_env.client)
            again = await cli.review_tiers(settings, program, "2026-11", client=dev_env.client)
            with pytest.raises(LookupError, match="no program 'Nope'"):
                await cli.review_tiers(settings, "Nope", None, client=dev_env.client)
    finally:
        await dev_env.client.get_schedule_handle(tier_schedule_id(program)).delete()
    lines = report.splitlines()
    assert lines[0] == "tier review 2026-11 of Test program: 3 partners judged, 2 moved"
    assert lines[1].startswith("  Steady Sam: Tier 3 -> Tier 2 (promoted): meets every Tier 2 Emerging criterion")
    assert lines[2].startswith(
        "  Thin Tom: Tier 2 -> Tier 3 (demoted): misses Tier 2 Emerging: proven_capability 0 < 25"
    )
    assert again.splitlines()[0] == f"tier review 2026-11 of {program} was done before; nothing recorded again"


def test_cosell_tiers_review_refuses_a_malformed_period() -> None:
    result = CliRunner().invoke(cli.app, ["tiers", "review", "--program", "p", "--period", "2026-13"])
    assert result.exit_code == 2 and "--period '2026-13'" in result.output
