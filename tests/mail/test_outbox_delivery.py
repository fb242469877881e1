from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from temporalio.exceptions import ApplicationError

from db.models import EmailOutbox, utcnow
from db.repositories import outbox, suppressions
from db.session import SessionFactory, transaction
from mail.delivery import CLAIM_TTL, deliver
from mail.sender import AmbiguousSendError, OutboundEmail, PermanentSendError, TransientSendError
from tests.mail.helpers import CountingSender, queue, row, seed_journey
from tests.workflows.helpers import events


class TestOutbox:
    async def test_same_business_key_is_one_row(self, sessions: SessionFactory) -> None:
        first, second = (
            await queue(sessions, "journey/c/p/icp/invite/0"),
            await queue(sessions, "journey/c/p/icp/invite/0"),
        )
        assert first == second
        async with transaction(sessions) as session:
            assert await session.scalar(select(func.count()).select_from(EmailOutbox)) == 1

    async def test_retried_and_concurrent_deliveries_send_once(self, sessions: SessionFactory) -> None:
        outbox_id, sender = await queue(sessions), CountingSender()
        results = await asyncio.gather(*(deliver(sessions, sender, outbox_id, None) for _ in range(5)))
        assert len(sender.sent) == 1
        # The winner says "sent"; the others saw the claim ("sending") or, if they looked late, the result.
        assert "sent" in results and set(results) <= {"sent", "sending"}
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


class TestClaims:
    async def test_a_claim_left_by_a_dead_attempt_becomes_unknown_and_is_not_resent(
        self, sqlite_sessions: SessionFactory
    ) -> None:
        outbox_id, sender = await queue(sqlite_sessions), CountingSender()
        async with transaction(sqlite_sessions) as session:
            assert await outbox.claim(session, outbox_id) is not None  # an attempt claimed, then died
        assert await deliver(sqlite_sessions, sender, outbox_id, None) == "sending"  # could still be alive
        async with transaction(sqlite_sessions) as session:
            await session.execute(update(EmailOutbox).values(claimed_at=utcnow() - CLAIM_TTL - timedelta(seconds=1)))
        assert await deliver(sqlite_sessions, sender, outbox_id, None) == "unknown"
        assert sender.sent == [] and (await row(sqlite_sessions, outbox_id)).attempts == 1

    async def test_a_late_outcome_never_overwrites_what_the_webhook_already_said(
        self, sqlite_sessions: SessionFactory
    ) -> None:
        outbox_id = await queue(sqlite_sessions)

        class WebhookFirst(CountingSender):
            async def send(self, email: OutboundEmail) -> str:
                async with transaction(sqlite_sessions) as session:  # "delivered" arrives mid-call
                    await outbox.advance(session, email.outbox_id, "delivered")
                return await super().send(email)

        assert await deliver(sqlite_sessions, WebhookFirst(), outbox_id, None) == "sent"
        stored = await row(sqlite_sessions, outbox_id)
        assert (stored.status, stored.provider_message_id) == ("delivered", "msg-1")


class TestSuppression:
    async def test_a_bounced_address_gets_nothing_and_the_pm_is_told_once(self, sessions: SessionFactory) -> None:
        jid, contact = await seed_journey(sessions)
        async with transaction(sessions) as session:
            assert await suppressions.record(session, contact, suppressions.ALL, "bounce", "sendgrid")
        sender = CountingSender()
        invite = await queue(sessions, f"{jid}/icp/invite/0", to_email=contact, journey_id=jid)
        reminder = await queue(sessions, f"{jid}/icp/reminder/1", "step_reminder", contact, jid)
        assert await deliver(sessions, sender, invite, None) == "suppressed"
        assert await deliver(sessions, sender, reminder, None) == "suppressed"
        assert [(m.to_email, m.kind) for m in sender.sent] == [("pm@vendor.example", "pm_alert")]
        assert "Contoso Health" in sender.sent[0].subject and contact in sender.sent[0].text
        assert "hard bounce" in sender.sent[0].text
        assert (await row(sessions, invite)).status == "suppressed"
        kinds = [e.kind for e in await events(sessions, jid)]
        assert kinds.count("email_suppressed") == 2 and kinds.count("contact_unreachable") == 1

    async def test_unsubscribed_contact_gets_invites_but_no_reminders(self, sessions: SessionFactory) -> None:
        jid, contact = await seed_journey(sessions)
        async with transaction(sessions) as session:
            await suppressions.record(session, contact.upper(), suppressions.REMINDERS, "unsubscribe", "link")
        sender = CountingSender()
        reminder = await queue(sessions, f"{jid}/icp/reminder/1", "step_reminder", contact, jid)
        invite = await queue(sessions, f"{jid}/rules/invite/0", to_email=contact, journey_id=jid)
        assert await deliver(sessions, sender, reminder, None) == "suppressed"
        assert await deliver(sessions, sender, invite, None) == "sent"
        assert [m.kind for m in sender.sent] == ["pm_alert", "step_invite"]
        assert sender.sent[1].reply_to == "pm@vendor.example"  # replies go to the PM
        assert sender.sent[1].from_name == "Test program"  # sent in the vendor program's name

    async def test_a_scope_only_widens(self, sqlite_sessions: SessionFactory) -> None:
        async with transaction(sqlite_sessions) as session:
            assert await suppressions.record(session, "x@y.example", suppressions.REMINDERS, "unsubscribe", "link")
            assert not await suppressions.record(session, "X@y.example", suppressions.REMINDERS, "unsubscribe", "sg")
            assert await suppressions.record(session, "x@y.example", suppressions.ALL, "bounce", "sendgrid")
            assert not await suppressions.record(session, "x@y.example", suppressions.REMINDERS, "unsubscribe", "l")
            found = await suppressions.get(session, "x@y.example")
        assert found is not None and (found.scope, found.reason) == ("all", "bounce")
