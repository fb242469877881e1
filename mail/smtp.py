"""SMTP backend for corporate relays and local catchers (Mailpit, aiosmtpd), stdlib smtplib in a thread.

The conversation is driven step by step so a failure can be placed: anything before DATA is
answered means nothing was accepted (safe to retry); a timeout or hang-up while the server is
answering DATA is ambiguous (the message may be queued), exactly like an HTTP read timeout.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email import policy
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from mail.sender import (
    AmbiguousSendError,
    OutboundEmail,
    PermanentSendError,
    TransientSendError,
    one_line,
)

OUTBOX_HEADER = "X-Cosell-Outbox-Id"
# CRLF line ends, and headers folded at RFC 5322's hard limit: at the default 78 a long unbreakable
# List-Unsubscribe URL would be rewritten as RFC 2047 encoded-words, which no mail client reads as a URL.
MESSAGE_POLICY = policy.SMTP.clone(max_line_length=998)


class SmtpSender:
    name = "smtp"

    def __init__(
        self,
        host: str,
        port: int,
        from_email: str,
        from_name: str,
        username: str = "",
        password: str = "",
        starttls: bool = False,
        timeout_seconds: float = 10.0,
    ):
        self._host, self._port, self._timeout = host, port, timeout_seconds
        self._from_email, self._from_name = from_email, from_name
        self._username, self._password, self._starttls = username, password, starttls

    async def send(self, email: OutboundEmail) -> str:
        return await asyncio.to_thread(self._send, email)

    def message(self, email: OutboundEmail) -> EmailMessage:
        msg = EmailMessage(policy=MESSAGE_POLICY)
        msg["From"] = formataddr((one_line(email.from_name or self._from_name), self._from_email))
        msg["To"] = formataddr((one_line(email.to_name), email.to_email))
        msg["Subject"] = one_line(email.subject)
        # The row id in the Message-ID too: a relay logs that header, so an `unsettled` row can be looked up there.
        msg["Message-ID"] = make_msgid(idstring=email.outbox_id, domain=self._from_email.rpartition("@")[2] or None)
        if email.reply_to:
            msg["Reply-To"] = email.reply_to
        msg[OUTBOX_HEADER] = email.outbox_id
        for key, value in email.headers.items():
            msg[key] = one_line(value)
        # multipart/alternative: text/plain first, then text/html (clients show the last they understand).
        msg.set_content(email.text)
        msg.add_alternative(email.html, subtype="html")
        return msg

    def _send(self, email: OutboundEmail) -> str:
        msg = self.message(email)
        try:
            smtp = smtplib.SMTP(self._host, self._port, timeout=self._timeout)
        except (OSError, smtplib.SMTPException) as exc:
            raise TransientSendError(f"SMTP relay {self._host}:{self._port} unreachable: {exc}") from None
        try:
            self._handshake(smtp)
            self._envelope(smtp, email.to_email)
            self._data(smtp, msg)
        finally:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()
        return str(msg["Message-ID"])

    def _handshake(self, smtp: smtplib.SMTP) -> None:
        try:
            smtp.ehlo()
            if self._starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if self._username:
                smtp.login(self._username, self._password)
        except smtplib.SMTPAuthenticationError as exc:
            raise PermanentSendError(f"SMTP login refused ({exc.smtp_code}): check the credentials") from None
        except smtplib.SMTPNotSupportedError as exc:
            raise PermanentSendError(f"SMTP relay does not support a configured feature: {exc}") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise TransientSendError(f"SMTP handshake failed: {exc}") from None

    def _envelope(self, smtp: smtplib.SMTP, to_email: str) -> None:
        try:
            code, reply = smtp.mail(self._from_email)
            if code != 250:
                raise _by_code(code, f"sender refused: {reply!r}")
            code, reply = smtp.rcpt(to_email)
            if code not in (250, 251):
                raise _by_code(code, f"recipient refused: {reply!r}")
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            raise TransientSendError(f"SMTP connection lost before DATA: {exc}") from None

    def _data(self, smtp: smtplib.SMTP, msg: EmailMessage) -> None:
        try:
            code, reply = smtp.data(msg.as_bytes())
        except smtplib.SMTPDataError as exc:
            raise _by_code(exc.smtp_code, f"message refused: {exc.smtp_error!r}") from None
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            raise AmbiguousSendError(f"no answer to DATA from the SMTP relay: {type(exc).__name__}") from None
        if code != 250:
            raise _by_code(code, f"message refused: {reply!r}")


def _by_code(code: int, detail: str) -> Exception:
    if 400 <= code < 500:
        return TransientSendError(f"SMTP {code}: {detail}")
    return PermanentSendError(f"SMTP {code}: {detail}")
