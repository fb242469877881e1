"""Kill the sending worker after SendGrid accepted the message: the retried activity must not send again."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from activities.journey_inputs import StepNotice
from db.models import utcnow
from db.session import SessionFactory
from settings import Settings
from tests.activities.send_once import SendStepEmail, build
from tests.factories import create_cohort, partner, settings_for
from tests.fakes.sendgrid import API_KEY, FakeSendGrid
from tests.mail.helpers import row
from tests.workflows.helpers import emails, partner_ids
from workflows.journey.messages import journey_id

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def invite(cohort_id: str, pid: str) -> StepNotice:
    now = utcnow()
    return StepNotice(
        journey_id=journey_id(cohort_id, pid),
        cohort_id=cohort_id,
        partner_id=pid,
        stage="awareness",
        play_key="icp-basics",
        step_key="icp",
        kind="invite",
        n=0,
        due_at=now + timedelta(days=3),
        occurred_at=now,
    )


def worker_environment(settings: Settings) -> dict[str, str]:
    """The doomed worker runs in its own process (so it can be killed), configured like this test."""
    return {
        **os.environ,
        "COSELL_ENVIRONMENT": "test",
        "COSELL_DATABASE_URL": settings.database_url,
        "COSELL_TASK_QUEUE": settings.task_queue,
        "COSELL_TEMPORAL_ADDRESS": settings.temporal_address,
        "COSELL_EMAIL_BACKEND": "sendgrid",
        "COSELL_SENDGRID_API_KEY": API_KEY,
        "COSELL_SENDGRID_HOST": settings.sendgrid_host,
    }


async def test_worker_killed_after_the_provider_accepted_sends_exactly_once(
    dev_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
) -> None:
    cohort = await create_cohort(sqlite_sessions, [partner("Contoso Health")], pm_email="pm@vendor.example")
    [pid] = await partner_ids(sqlite_sessions, cohort.id)
    notice = invite(cohort.id, pid)
    with FakeSendGrid() as fake:
        settings = settings_for(
            sqlite_sessions,
            email_backend="sendgrid",
            sendgrid_api_key=API_KEY,
            sendgrid_host=fake.url,
            temporal_address=dev_env.client.service_client.config.target_host,
        )
        fake.hold()  # SendGrid has the request; its answer never reaches the worker
        doomed = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.activities.send_once", cwd=ROOT, env=worker_environment(settings)
        )
        try:
            handle = await dev_env.client.start_workflow(
                SendStepEmail.run, notice, id=f"send-once-{cohort.id}", task_queue=settings.task_queue
            )
            assert await asyncio.to_thread(fake.received.wait, 30), "the worker never called SendGrid"
        finally:
            os.kill(doomed.pid, signal.SIGKILL)
            await doomed.wait()
        fake.release()
        [email] = await emails(sqlite_sessions, notice.journey_id)
        assert (email.status, email.attempts) == ("sending", 1)  # claimed, sent, never recorded

        async with build(dev_env.client, settings, sqlite_sessions):
            # the retry must come from the activity's short timeout, not a default of minutes
            outcome = await asyncio.wait_for(handle.result(), timeout=60)

    assert outcome == "unknown"
    assert len(fake.requests) == 1  # the retry found the claim and did not send again
    stored = await row(sqlite_sessions, email.id)
    assert (stored.status, stored.attempts) == ("unknown", 1)
    assert "died" in (stored.error or "")
