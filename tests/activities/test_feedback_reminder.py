"""A reminder that races the AE's answer is not sent: the activity reads the row before it emails."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from temporalio.testing import ActivityEnvironment

from activities.feedback import FeedbackActivities
from activities.feedback_inputs import FeedbackEmail, FeedbackOpen
from db.cosell_models import AeFeedback
from db.models import EmailOutbox
from db.session import SessionFactory, transaction
from mail.render import EmailRenderer
from tests.factories import create_cohort, partner, settings_for
from tests.workflows.feedback_helpers import add_ae, add_deal
from tests.workflows.helpers import partner_ids
from wiring import make_sender, make_signer


async def _outbox_count(sessions: SessionFactory) -> int:
    async with transaction(sessions) as session:
        return (
            await session.scalar(
                select(func.count()).select_from(EmailOutbox).where(EmailOutbox.kind.like("feedback_%"))
            )
            or 0
        )


async def test_no_reminder_after_the_answer(sqlite_sessions: SessionFactory) -> None:
    sessions, at = sqlite_sessions, datetime(2026, 11, 19, 10, tzinfo=UTC)
    settings = settings_for(sessions)
    cohort = await create_cohort(sessions, [partner()])
    [pid] = await partner_ids(sessions, cohort.id)
    ae = await add_ae(sessions)
    deal = await add_deal(sessions, cohort.id, pid, ae, registered_at=at)
    acts = FeedbackActivities(sessions, make_sender(settings), make_signer(settings), EmailRenderer(), settings)
    env = ActivityEnvironment()
    plan = await env.run(acts.open_feedback, FeedbackOpen(deal_id=deal, ae_id=ae, partner_id=pid, requested_at=at))

    def mail(kind: str, n: int) -> FeedbackEmail:
        return FeedbackEmail(deal_id=deal, ae_id=ae, kind=kind, n=n, expires_at=plan.expires_at, occurred_at=at)  # type: ignore[arg-type]

    await env.run(acts.email_feedback_request, mail("request", 0))
    await env.run(acts.email_feedback_request, mail("reminder", 1))
    assert await _outbox_count(sessions) == 2
    async with transaction(sessions) as session:
        await session.execute(
            update(AeFeedback)
            .where(AeFeedback.deal_id == deal)
            .values(status="submitted", submitted_at=at + timedelta(days=3))
        )
    assert await env.run(acts.email_feedback_request, mail("reminder", 2)) == "skipped"
    assert await _outbox_count(sessions) == 2
