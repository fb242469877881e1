"""A test-only workflow that runs the real `notify_step` activity with a short timeout, and the worker
process the crash test kills. The journey workflow's own 60 s email timeout would make the test slow;
the activity, the outbox and the SendGrid backend under test are the production ones.

Run as a worker: python -m tests.activities.send_once  (settings from COSELL_* variables)
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.journey_inputs import StepNotice

# Retried quickly once the dead attempt's start-to-close timeout has passed.
SEND_TIMEOUT = timedelta(seconds=3)
RETRY = RetryPolicy(initial_interval=timedelta(milliseconds=200), maximum_attempts=5)


@workflow.defn
class SendStepEmail:
    @workflow.run
    async def run(self, notice: StepNotice) -> str:
        return await workflow.execute_activity(
            "notify_step", notice, result_type=str, start_to_close_timeout=SEND_TIMEOUT, retry_policy=RETRY
        )


def build(client, settings, sessions):  # type: ignore[no-untyped-def]
    from temporalio.worker import Worker

    from activities.journeys import JourneyActivities
    from mail.render import EmailRenderer
    from wiring import make_sender, make_signer

    acts = JourneyActivities(sessions, make_sender(settings), make_signer(settings), EmailRenderer(), settings)
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[SendStepEmail],
        activities=acts.all(),
        # The killed worker's sticky queue would hold the next workflow task for 10 s otherwise.
        sticky_queue_schedule_to_start_timeout=timedelta(seconds=1),
    )


async def _main() -> None:
    from db.session import make_engine, make_sessionmaker
    from settings import get_settings
    from wiring import connect

    settings = get_settings()
    engine = make_engine(settings.database_url)
    client = await connect(settings)
    await build(client, settings, make_sessionmaker(engine)).run()


if __name__ == "__main__":
    asyncio.run(_main())
