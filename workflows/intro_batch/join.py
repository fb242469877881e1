"""Hand a partner's deal registration to its owner AE's digest of the day: signal-with-start the AE's
`IntroBatchWorkflow`, so it rides in that day's intro digest when there is one and makes a "deal
registrations" digest of its own when there is not (one email per AE per day either way).

Client side, not workflow code: the deal registration activity and the PM's API call it after their
transaction committed the notice (db/repositories/ae_deal_notices.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date

from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from domain.ae_digest import AE_TIMEZONE, next_day, send_at
from playbooks.model import Cadence, QuietHours
from workflows.intro_batch.messages import IntroBatchDeals, IntroBatchInput, intro_batch_id

MoveTo = Callable[[str], Awaitable[None]]  # moves the notice to another batch id (the day's batch had finished)


def deal_batch_input(ae_id: str, day: str, link_max_age_days: int) -> IntroBatchInput:
    """A batch a deal registration starts: intro requests that join it later keep the playbook defaults'
    reminder cadence (a batch's input is set by whoever starts it)."""
    cadence, quiet = Cadence(), QuietHours()
    return IntroBatchInput(
        ae_id=ae_id,
        day=day,
        send_at=send_at(date.fromisoformat(day), AE_TIMEZONE),
        every_business_days=cadence.every_business_days,
        max_reminders=cadence.max_reminders,
        timezone=AE_TIMEZONE,
        quiet_start=quiet.start,
        quiet_end=quiet.end,
        link_max_age_days=link_max_age_days,
    )


async def join_deal_batch(
    client: Client, task_queue: str, batch_id: str, deal_id: str, link_max_age_days: int, move_to: MoveTo
) -> str:
    """The batch id the deal's news is in. Signalling again is harmless: the batch keeps each deal once."""
    # Imported here: the batch workflow imports the activities, which import this module.
    from workflows.intro_batch.workflow import IntroBatchWorkflow

    _, ae_id, day = batch_id.split("/")
    for _ in range(14):
        try:
            await client.start_workflow(
                IntroBatchWorkflow.run,
                deal_batch_input(ae_id, day, link_max_age_days),
                id=intro_batch_id(ae_id, day),
                task_queue=task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                start_signal=IntroBatchWorkflow.add_deals.__name__,  # the signal is named after its handler
                start_signal_args=[IntroBatchDeals(deal_ids=[deal_id])],
            )
        except WorkflowAlreadyStartedError:
            day, _ = next_day(day)
            await move_to(intro_batch_id(ae_id, day))
            continue
        return intro_batch_id(ae_id, day)
    raise RuntimeError(f"no open digest day for {ae_id} found in two weeks")
