from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from temporalio.exceptions import ApplicationError

from activities.email.delivery import deliver
from activities.email.sender import AmbiguousSendError, OutboundEmail, PermanentSendError, TransientSendError
from db.models import EmailOutbox
from db.repositories import outbox
from db.session import SessionFactory, transaction


class CountingSender:
    name = "counting"

    def __init__(self, *failures: Exception) -> None:
        self.sent: list[OutboundEmail] = []
        self.failures = list(failures)

    async def send(self, email: OutboundEmail) -> str:
        await asyncio.sleep(0.01)
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(email)
        return f"msg-{len(self.sent)}"


async def queue(sessions: SessionFactory, key: str = "journey/c/p/icp/invite/0") -> str:
    async with transaction(sessions) as session:
        return await outbox.enqueue(
            session,
            key,
            journey_id=None,
            kind="step_invite",
            to_email="a@b.example",
            to_name="A",
            subject="s",
            html="<p>h</p>",
            text="t",
            provider="counting",
        )


async def row(sessions: SessionFactory, outbox_id: str) -> EmailOutbox:
    async with transaction(sessions) as session:
        found = await outbox.get(session, outbox_id)
        assert found is not None
        return found


class TestOutbox:
    async def test_same_business_key_is_one_row(self, sessions: SessionFactory) -> None:
        first, second = await queue(sessions), await queue(sessions)
        assert first == second
        async with transaction(sessions) as session:
            assert await session.scalar(select(func.count()).select_from(EmailOutbox)) == 1

    async def test_retried_and_concurrent_deliveries_send_once(self, sessions: SessionFactory) -> None:
        outbox_id, sender = await queue(sessions), CountingSender()
        results = await asyncio.gather(*(deliver(sessions, sender, outbox_id, None) for _ in range(5)))
        assert len(sender.sent) == 1
        assert results.count("sent") == 1 and set(results) <= {"sent", "sending"}
        assert await deliver(sessions, sender, outbox_id, None) == "sent"
        stored = await row(sessions, outbox_id)
        assert (stored.status, stored.provider_message_id, stored.attempts) == ("sent", "msg-1", 1)

    async def test_transient_failure_releases_the_claim_for_a_retry(self, sessions: SessionFactory) -> None:
        outbox_id, sender = await queue(sessions), CountingSender(TransientSendError("503"))
        with pytest.raises(TransientSendError):
            await deliver(sessions, sender, outbox_id, None)
        assert (await row(sessions, outbox_id)).status == "pending"
        assert await deliver(sessions, sender, outbox_id, None) == "sent"
        assert len(sender.sent) == 1 and (await row(sessions, outbox_id)).attempts == 2

    async def test_rejection_is_final_and_not_retryable(self, sessions: SessionFactory) -> None:
        outbox_id, sender = await queue(sessions), CountingSender(PermanentSendError("400 bad address"))
        with pytest.raises(ApplicationError) as err:
            await deliver(sessions, sender, outbox_id, None)
        assert err.value.non_retryable and err.value.type == "EmailRejected"
        assert (await row(sessions, outbox_id)).status == "failed"
        assert await deliver(sessions, sender, outbox_id, None) == "failed"
        assert sender.sent == []

    async def test_ambiguous_timeout_is_never_resent(self, sessions: SessionFactory) -> None:
        outbox_id, sender = await queue(sessions), CountingSender(AmbiguousSendError("read timeout"))
        assert await deliver(sessions, sender, outbox_id, None) == "unknown"
        assert await deliver(sessions, sender, outbox_id, None) == "unknown"
        assert sender.sent == []
