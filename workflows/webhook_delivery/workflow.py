"""Outbound webhooks in Temporal. `WebhookDispatchWorkflow` (started by a Schedule, worker.py) claims pending
deliveries and starts one `WebhookDeliveryWorkflow` per subscription and partner, which sends that partner's
deliveries one after another, each retried with backoff until the retry window ends, then given up.

Journeys never wait on any of this: they only write the delivery row (db/repositories/webhooks.emit).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.workflow import ParentClosePolicy

from workflows.policies import DB_TIMEOUT, DB_WRITE

with workflow.unsafe.imports_passed_through():
    from activities.webhook_delivery import DeliveryChain, GiveUp, WebhookActivities

CLAIM_LIMIT = 500
# Request timeout is seconds; the rest bounds a worker that died mid-attempt.
SEND_TIMEOUT = timedelta(seconds=60)
SEND_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=30), backoff_coefficient=2.0, maximum_interval=timedelta(hours=1)
)


def chain_workflow_id(chain: DeliveryChain) -> str:
    return chain.workflow_id


@workflow.defn
class WebhookDeliveryWorkflow:
    @workflow.run
    async def run(self, chain: DeliveryChain) -> list[str]:
        """What became of each delivery: its status code, `skipped` or `failed: why`."""
        outcomes = []
        for delivery_id in chain.delivery_ids:
            try:
                code = await workflow.execute_activity_method(
                    WebhookActivities.send_webhook,
                    delivery_id,
                    start_to_close_timeout=SEND_TIMEOUT,
                    schedule_to_close_timeout=chain.retry_for,
                    retry_policy=SEND_RETRY,
                )
                outcomes.append("skipped" if code is None else str(code))
            except ActivityError as exc:
                cause = exc.cause
                why = (cause.message if isinstance(cause, ApplicationError) else str(cause or exc))[:300]
                await workflow.execute_activity_method(
                    WebhookActivities.give_up_webhook,
                    GiveUp(delivery_id=delivery_id, why=why),
                    start_to_close_timeout=DB_TIMEOUT,
                    retry_policy=DB_WRITE,
                )
                outcomes.append(f"failed: {why}")
        return outcomes


@workflow.defn
class WebhookDispatchWorkflow:
    @workflow.run
    async def run(self) -> list[str]:
        """The ids of the delivery workflows it started."""
        chains = await workflow.execute_activity_method(
            WebhookActivities.claim_webhook_deliveries,
            CLAIM_LIMIT,
            start_to_close_timeout=DB_TIMEOUT,
            retry_policy=DB_WRITE,
        )
        await asyncio.gather(
            *(
                workflow.start_child_workflow(
                    WebhookDeliveryWorkflow.run,
                    chain,
                    id=chain_workflow_id(chain),
                    parent_close_policy=ParentClosePolicy.ABANDON,
                )
                for chain in chains
            )
        )
        return [chain_workflow_id(chain) for chain in chains]
