"""The owner AE hears of a deal the PM registers for a partner, in that AE's daily digest (like a partner's
own registration from its step). A CRM import's deals are the AE's own CRM data: they tell nobody."""

from __future__ import annotations

from functools import partial

from temporalio.client import Client
from temporalio.service import RPCError

from api.after_commit import AfterCommit
from api.errors import Unavailable
from db.repositories import ae_deal_notices
from db.session import SessionFactory, transaction
from settings import Settings
from workflows.intro_batch.join import join_deal_batch


def tell_after_commit(
    queue: AfterCommit, client: Client, settings: Settings, sessions: SessionFactory, deal_id: str, batch: str | None
) -> None:
    """Hand a pending notice to its AE's batch once the registration is committed (a repeated request
    hands it again, harmlessly: the batch keeps each deal once)."""
    if batch is not None:
        queue.run(partial(_join, client, settings, sessions, deal_id, batch))


async def _join(client: Client, settings: Settings, sessions: SessionFactory, deal_id: str, batch: str) -> None:
    async def move_to(batch_id: str) -> None:
        async with transaction(sessions) as session:
            await ae_deal_notices.move_to_batch(session, [deal_id], batch_id)

    try:
        await join_deal_batch(client, settings.task_queue, batch, deal_id, settings.link_max_age_days, move_to)
    except RPCError as exc:
        raise Unavailable(
            "the deal is saved but its owner AE's digest could not be told; repeat the same request",
            {"deal_id": deal_id, "reason": str(exc)},
        ) from exc
