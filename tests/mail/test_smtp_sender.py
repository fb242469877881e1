"""The SMTP backend against a real local SMTP server (aiosmtpd), as with Mailpit or a corporate relay."""

from __future__ import annotations

import email
import socket
import uuid
from collections.abc import Iterator
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from temporalio.exceptions import ApplicationError

from db.session import SessionFactory
from mail.delivery import deliver
from mail.sender import TransientSendError
from mail.smtp import OUTBOX_HEADER, SmtpSender
from mail.unsubscribe import ListUnsubscribe
from settings import Settings
from tests.mail.helpers import LINK, queue, row
from wiring import make_signer


def free_port() -> int:
    # aiosmtpd cannot bind port 0: its start-up probe would connect to port 0.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Catcher:
    def __init__(self) -> None:
        self.messages: list[tuple[Envelope, Message]] = []
        self.refuse: str | None = None

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list) -> str:
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.messages.append((envelope, email.message_from_bytes(envelope.content or b"")))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[tuple[Catcher, int]]:
    catcher, port = Catcher(), free_port()
    controller = Controller(catcher, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield catcher, port
    finally:
        controller.stop()


def smtp_sender(port: int) -> SmtpSender:
    return SmtpSender("127.0.0.1", port, "cosell@vendor.example", "Acme Partner Program", timeout_seconds=2)


class TestSmtpSender:
    async def test_multipart_message_with_reply_to_and_outbox_id(
        self, smtp: tuple[Catcher, int], outbox_db: SessionFactory
    ) -> None:
        catcher, port = smtp
        outbox_id = await queue(outbox_db)
        assert await deliver(outbox_db, smtp_sender(port), outbox_id, "pm@vendor.example") == "sent"
        [(envelope, message)] = catcher.messages
        assert envelope.mail_from == "cosell@vendor.example" and envelope.rcpt_tos == ["a@b.example"]
        assert message["From"] == "Acme Partner Program <cosell@vendor.example>"
        assert message["To"] == "Ada Partner <a@b.example>" and message["Reply-To"] == "pm@vendor.example"
        assert message[OUTBOX_HEADER] == outbox_id
        assert message.get_content_type() == "multipart/alternative"
        parts = [p.get_content_type() for p in message.walk() if not p.is_multipart()]
        assert parts == ["text/plain", "text/html"]
        assert LINK in message.get_payload()[0].get_payload(decode=True).decode()
        assert (await row(outbox_db, outbox_id)).provider_message_id == message["Message-ID"]

    async def test_reminder_has_list_unsubscribe_headers(
        self, smtp: tuple[Catcher, int], outbox_db: SessionFactory
    ) -> None:
        catcher, port = smtp
        settings = Settings(environment="test")
        backend = ListUnsubscribe(smtp_sender(port), make_signer(settings), settings.public_base_url)
        reminder = await queue(outbox_db, f"j/icp/reminder/{uuid.uuid4()}", kind="step_reminder")
        await deliver(outbox_db, backend, reminder, None)
        [(_, message)] = catcher.messages
        assert message["List-Unsubscribe"].startswith("<http://127.0.0.1:8000/p/unsubscribe/")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    @pytest.mark.parametrize(
        ("reply", "final"), [("550 5.1.1 No such user", "failed"), ("451 4.3.0 Try later", "pending")]
    )
    async def test_refused_recipient_by_reply_code(
        self, smtp: tuple[Catcher, int], outbox_db: SessionFactory, reply: str, final: str
    ) -> None:
        catcher, port = smtp
        catcher.refuse = reply
        outbox_id = await queue(outbox_db)
        with pytest.raises((ApplicationError, TransientSendError)) as err:
            await deliver(outbox_db, smtp_sender(port), outbox_id, None)
        assert (await row(outbox_db, outbox_id)).status == final
        assert isinstance(err.value, ApplicationError if final == "failed" else TransientSendError)
        assert catcher.messages == []

    async def test_no_relay_is_transient(self, outbox_db: SessionFactory) -> None:
        outbox_id = await queue(outbox_db)
        with pytest.raises(TransientSendError, match="unreachable"):
            await deliver(outbox_db, smtp_sender(free_port()), outbox_id, None)
        assert (await row(outbox_db, outbox_id)).status == "pending"
