"""Per-program settings: the PM sets how closed deals ask their AEs for feedback, and the next request uses it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from activities.feedback import FeedbackActivities
from activities.feedback_inputs import FeedbackOpen
from db.session import SessionFactory
from mail.render import EmailRenderer
from tests.api.helpers import api_client
from tests.factories import create_cohort, partner, settings_for
from tests.workflows.feedback_helpers import add_ae, add_deal
from tests.workflows.helpers import partner_ids
from wiring import make_sender, make_signer


async def test_the_pm_changes_the_feedback_cadence_and_the_next_request_uses_it(
    sessions: SessionFactory, dev_env: WorkflowEnvironment
) -> None:
    settings = settings_for(sessions)
    cohort = await create_cohort(sessions, [partner()])
    [pid] = await partner_ids(sessions, cohort.id)
    async with api_client(settings, dev_env.client) as api:
        [program] = (await api.get("/api/v1/programs")).json()
        assert (program["feedback_reminder_days"], program["feedback_expiry_days"]) == ([2, 5], 14)

        bad = await api.patch(f"/api/v1/programs/{program['id']}", json={"feedback_reminder_days": [5, 5]})
        assert bad.status_code == 422 and "distinct" in bad.text
        unsorted = await api.patch(f"/api/v1/programs/{program['id']}", json={"feedback_reminder_days": [5, 2]})
        assert unsorted.status_code == 200 and unsorted.json()["feedback_reminder_days"] == [2, 5]
        assert (
            await api.patch(f"/api/v1/programs/{program['id']}", json={"feedback_expiry_days": 0})
        ).status_code == 422
        assert (await api.patch("/api/v1/programs/nope", json={"feedback_expiry_days": 7})).status_code == 404
        assert (await api.patch(f"/api/v1/programs/{program['id']}", json={"colour": "red"})).status_code == 422

        changed = await api.patch(
            f"/api/v1/programs/{program['id']}", json={"feedback_reminder_days": [3], "feedback_expiry_days": 7}
        )
        assert changed.status_code == 200
        assert (changed.json()["feedback_reminder_days"], changed.json()["feedback_expiry_days"]) == ([3], 7)

    requested_at = datetime(2026, 11, 19, 10, tzinfo=UTC)
    ae = await add_ae(sessions)
    deal = await add_deal(sessions, cohort.id, pid, ae, registered_at=requested_at)
    acts = FeedbackActivities(sessions, make_sender(settings), make_signer(settings), EmailRenderer(), settings)
    plan = await ActivityEnvironment().run(
        acts.open_feedback,
        FeedbackOpen(deal_id=deal, ae_id=ae, partner_id=pid, program_id=program["id"], requested_at=requested_at),
    )
    assert plan.ask and plan.reminder_days == [3]
    assert plan.expires_at == requested_at + timedelta(days=7)
