"""A parallel play's steps are invited by separate activities: a completion can be projected before (or
between attempts of) a step's invite. Whatever order the activities run in, the read model never moves
a step backwards to "invited"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from activities.journey_inputs import JourneyUpdate, StepNotice
from activities.journeys import JourneyActivities
from db.repositories import journeys
from db.session import SessionFactory, transaction
from mail.render import EmailRenderer
from tests.factories import create_cohort, partner, settings_for
from tests.mail.helpers import CountingSender
from tests.workflows.helpers import partner_ids
from wiring import make_signer
from workflows.journey.messages import journey_id

pytestmark = pytest.mark.timeout(60)
PLAYBOOK, STAGE, STEP = "cloud-cosell-90d", "activation", "marketplace-listing"
PLAY = "marketplace-listing-private-offer"  # a parallel play
STARTS = datetime(2026, 11, 2, 9, tzinfo=UTC)
ANSWERS = {"listing_status": "Live, private offers enabled", "pricing_model": "Usage-based (metered)"}


async def _setup(sessions: SessionFactory) -> tuple[JourneyActivities, str, str]:
    cohort = await create_cohort(sessions, [partner("Northwind Analytics")], starts_at=STARTS, playbook_id=PLAYBOOK)
    [pid] = await partner_ids(sessions, cohort.id)
    settings = settings_for(sessions)
    acts = JourneyActivities(sessions, CountingSender(), make_signer(settings), EmailRenderer(), settings)
    return acts, cohort.id, pid


def _invite(cohort_id: str, pid: str, kind: str = "invite", n: int = 0) -> StepNotice:
    return StepNotice(
        journey_id=journey_id(cohort_id, pid),
        cohort_id=cohort_id,
        partner_id=pid,
        stage=STAGE,
        play_key=PLAY,
        step_key=STEP,
        kind=kind,  # type: ignore[arg-type]
        n=n,
        due_at=STARTS + timedelta(days=10),
        occurred_at=STARTS,
    )


def _completion(cohort_id: str, pid: str) -> JourneyUpdate:
    return JourneyUpdate(
        journey_id=journey_id(cohort_id, pid),
        cohort_id=cohort_id,
        partner_id=pid,
        kind="step_completed",
        stage=STAGE,
        step_key=STEP,
        status="active",
        occurred_at=STARTS + timedelta(hours=2),
        readiness_score=10,
        data={"answers": ANSWERS, "play": PLAY, "signals": {}},
        registers_deal=False,
    )


async def _row(sessions: SessionFactory, cohort_id: str, pid: str) -> tuple:
    async with transaction(sessions) as session:
        row = await journeys.get_step(session, journey_id(cohort_id, pid), STEP)
        assert row is not None, "no step row at all"
        return row.status, row.submission, row.due_at.replace(tzinfo=UTC), row.invited_at.replace(tzinfo=UTC)


async def test_completion_projected_before_the_invite_stays_completed(sessions: SessionFactory) -> None:
    acts, cohort_id, pid = await _setup(sessions)
    await acts.project_journey(_completion(cohort_id, pid))
    await acts.notify_step(_invite(cohort_id, pid))
    status, submission, due, invited = await _row(sessions, cohort_id, pid)
    assert (status, submission) == ("completed", ANSWERS)
    assert (due, invited) == (STARTS + timedelta(days=10), STARTS)  # the invite still says when it was due


async def test_an_invite_retried_after_the_completion_does_not_reopen_it(sessions: SessionFactory) -> None:
    acts, cohort_id, pid = await _setup(sessions)
    await acts.notify_step(_invite(cohort_id, pid))
    await acts.project_journey(_completion(cohort_id, pid))
    await acts.notify_step(_invite(cohort_id, pid))  # the same invite, its activity retried
    await acts.notify_step(_invite(cohort_id, pid, "reminder", 1))  # a reminder scheduled just before
    status, submission, _, _ = await _row(sessions, cohort_id, pid)
    assert (status, submission) == ("completed", ANSWERS)


async def test_invites_and_reminders_still_move_an_open_step_forward(sessions: SessionFactory) -> None:
    acts, cohort_id, pid = await _setup(sessions)
    await acts.notify_step(_invite(cohort_id, pid))
    assert (await _row(sessions, cohort_id, pid))[0] == "invited"
    await acts.notify_step(_invite(cohort_id, pid, "reminder", 1))
    await acts.notify_step(_invite(cohort_id, pid))  # a late retry of the invite
    assert (await _row(sessions, cohort_id, pid))[0] == "reminded"
