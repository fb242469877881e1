"""The real `sendgrid` SDK against a local fake of /v3/mail/send: every answer ends in the right outbox state."""

from __future__ import annotations

import logging
import socket
import uuid
from collections.abc import Iterator

import pytest
from temporalio.exceptions import ApplicationError

from db.session import SessionFactory
from mail.delivery import deliver
from mail.sender import TransientSendError
from mail.sendgrid import OUTBOX_ARG, SendGridSender
from settings import Settings
from tests.fakes.sendgrid import API_KEY, FakeSendGrid
from tests.mail.helpers import LINK, queue, row
from wiring import make_sender

TIMEOUT = 0.5


@pytest.fixture
def fake() -> Iterator[FakeSendGrid]:
    with FakeSendGrid() as server:
        yield server


def sender(fake: FakeSendGrid, api_key: str = API_KEY) -> SendGridSender:
    return SendGridSender(api_key, "cosell@vendor.example", "Acme Partner Program", fake.url, TIMEOUT)


class TestSendGridSender:
    async def test_accepted_message_is_sent_with_a_safe_payload(
        self, fake: FakeSendGrid, outbox_db: SessionFactory
    ) -> None:
        outbox_id = await queue(outbox_db)
        assert await deliver(outbox_db, sender(fake), outbox_id, "pm@vendor.example") == "sent"
        stored = await row(outbox_db, outbox_id)
        [(headers, body)] = fake.requests
        assert stored.status == "sent" and stored.attempts == 1
        assert stored.provider_message_id and len(stored.provider_message_id) == 22
        assert headers["Authorization"] == f"Bearer {API_KEY}"
        assert body["from"] == {"email": "cosell@vendor.example", "name": "Acme Partner Program"}
        assert body["reply_to"] == {"email": "pm@vendor.example"}
        assert [c["type"] for c in body["content"]] == ["text/plain", "text/html"]
        assert LINK in body["content"][0]["value"] and LINK in body["content"][1]["value"]
        # Only our row id travels as metadata: no token, no address.
        assert body["custom_args"] == {OUTBOX_ARG: outbox_id}
        assert body["tracking_settings"] == {
            "click_tracking": {"enable": False, "enable_text": False},
            "open_tracking": {"enable": False},
            "subscription_tracking": {"enable": False},
        }

    @pytest.mark.parametrize(
        ("status", "final", "error_type"),
        [(400, "failed", "EmailRejected"), (429, "pending", "EmailThrottled"), (500, "pending", None)],
    )
    async def test_provider_answers_map_to_outbox_states(
        self, fake: FakeSendGrid, outbox_db: SessionFactory, status: int, final: str, error_type: str | None
    ) -> None:
        outbox_id = await queue(outbox_db)
        body = {"errors": [{"field": "from", "message": f"status {status}", "help": None}]}
        fake.answer(status, body, {"X-RateLimit-Reset": "0"} if status == 429 else {})
        with pytest.raises((ApplicationError, TransientSendError)) as err:
            await deliver(outbox_db, sender(fake), outbox_id, None)
        stored = await row(outbox_db, outbox_id)
        assert (stored.status, len(fake.requests)) == (final, 1)
        assert f"status {status}" in (stored.error or "")
        if error_type is None:
            assert isinstance(err.value, TransientSendError)
        else:
            assert isinstance(err.value, ApplicationError) and err.value.type == error_type
            assert err.value.non_retryable == (status == 400)
            if status == 429:
                assert err.value.next_retry_delay is not None
        # A retry after a transient answer sends again and succeeds; a rejection is never retried.
        outcome = await deliver(outbox_db, sender(fake), outbox_id, None)
        assert outcome == ("failed" if status == 400 else "sent")
        assert len(fake.requests) == (1 if status == 400 else 2)

    async def test_bad_api_key_is_a_permanent_failure(self, fake: FakeSendGrid, outbox_db: SessionFactory) -> None:
        outbox_id = await queue(outbox_db)
        with pytest.raises(ApplicationError) as err:
            await deliver(outbox_db, sender(fake, api_key="SG.wrong"), outbox_id, None)
        assert err.value.non_retryable and "401" in str(err.value)
        assert (await row(outbox_db, outbox_id)).status == "failed"

    async def test_a_hang_after_sending_is_unknown_and_never_resent(
        self, fake: FakeSendGrid, outbox_db: SessionFactory
    ) -> None:
        outbox_id = await queue(outbox_db)
        fake.answer(202, None, {"X-Message-Id": "late"}, delay=TIMEOUT * 3)  # accepted, answered too late
        assert await deliver(outbox_db, sender(fake), outbox_id, None) == "unknown"
        assert await deliver(outbox_db, sender(fake), outbox_id, None) == "unknown"
        stored = await row(outbox_db, outbox_id)
        assert stored.status == "unknown" and "no answer" in (stored.error or "")
        assert len(fake.requests) == 1

    async def test_nothing_listening_is_transient(self, outbox_db: SessionFactory) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]  # closed when the block ends: connections are refused
        outbox_id = await queue(outbox_db)
        closed = SendGridSender(API_KEY, "cosell@vendor.example", "Acme", f"http://127.0.0.1:{port}", TIMEOUT)
        with pytest.raises(TransientSendError, match="unreachable"):
            await deliver(outbox_db, closed, outbox_id, None)
        assert (await row(outbox_db, outbox_id)).status == "pending"

    async def test_reminders_carry_one_click_unsubscribe_and_invites_do_not(
        self, fake: FakeSendGrid, outbox_db: SessionFactory
    ) -> None:
        settings = Settings(
            environment="test", email_backend="sendgrid", sendgrid_api_key=API_KEY, sendgrid_host=fake.url
        )
        backend = make_sender(settings)
        invite = await queue(outbox_db, None)
        reminder = await queue(outbox_db, f"j/icp/reminder/{uuid.uuid4()}", kind="step_reminder")
        await deliver(outbox_db, backend, invite, None)
        await deliver(outbox_db, backend, reminder, None)
        (_, invite_body), (_, reminder_body) = fake.requests
        assert "headers" not in invite_body
        headers = reminder_body["headers"]
        assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert headers["List-Unsubscribe"].startswith(f"<{settings.public_base_url}/p/unsubscribe/")

    async def test_debug_logging_leaks_neither_the_key_nor_the_links(
        self, fake: FakeSendGrid, outbox_db: SessionFactory, caplog: pytest.LogCaptureFixture
    ) -> None:
        outbox_id = await queue(outbox_db)
        with caplog.at_level(logging.DEBUG):
            await deliver(outbox_db, sender(fake), outbox_id, None)
        assert fake.requests and API_KEY not in caplog.text and "secret-token-part" not in caplog.text
