"""SendGrid backend: the official SDK (synchronous urllib), run in a thread, with a request timeout.

Failure mapping (measured in shared/notes/email-and-links.md, section 1.3):
- 4xx other than 429: the request was refused as it stands -> PermanentSendError.
- 429 and 5xx, or nothing reached SendGrid (URLError: refused, DNS, timeout while *sending*) -> TransientSendError.
- a timeout or dropped connection *after* the request was sent -> AmbiguousSendError: SendGrid may well
  have accepted it, and Mail Send has no idempotency key, so a resend could deliver twice.

Such an ambiguous send is settled later by asking SendGrid's Email Activity API (`GET /v3/messages`, a paid
add-on limited to 6 requests a minute) for the message carrying our outbox id in its custom args.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import logging
import time
import urllib.error

from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import (
    ClickTracking,
    CustomArg,
    From,
    Header,
    Mail,
    OpenTracking,
    ReplyTo,
    SubscriptionTracking,
    To,
    TrackingSettings,
)

from mail.sender import (
    AmbiguousSendError,
    LookupUnanswered,
    OutboundEmail,
    PermanentSendError,
    TransientSendError,
    one_line,
)

# Custom args come back as top-level keys of every webhook event; the prefix avoids SendGrid's own keys.
OUTBOX_ARG = "cosell_outbox_id"

# At DEBUG, python_http_client logs the Authorization header and the whole payload (signed links
# included). Pin it above DEBUG so a verbose root logger can never leak either.
logging.getLogger("python_http_client").setLevel(logging.INFO)


class SendGridSender:
    name = "sendgrid"

    def __init__(
        self,
        api_key: str,
        from_email: str,
        from_name: str,
        host: str = "https://api.sendgrid.com",
        timeout_seconds: float = 10.0,
        open_tracking: bool = False,
    ):
        self._client = SendGridAPIClient(api_key=api_key, host=host)
        # The SDK's default is no timeout at all; child clients copy this value.
        self._client.client.timeout = timeout_seconds
        self._from_email, self._from_name = from_email, from_name
        self._open_tracking = open_tracking

    async def send(self, email: OutboundEmail) -> str:
        # The SDK blocks; in the worker's event loop it would stall every other activity.
        return await asyncio.to_thread(self._send, email)

    def _send(self, email: OutboundEmail) -> str:
        try:
            response = self._client.send(self._mail(email))
        except HTTPError as exc:
            raise _classify(exc) from None
        except urllib.error.URLError as exc:
            raise TransientSendError(f"SendGrid unreachable: {exc.reason}") from None
        except (TimeoutError, ConnectionError, http.client.HTTPException) as exc:
            raise AmbiguousSendError(f"no answer from SendGrid after sending: {type(exc).__name__}") from None
        if not 200 <= response.status_code < 300:
            raise AmbiguousSendError(f"unexpected SendGrid status {response.status_code}")
        # 202 carries X-Message-Id; sandbox mode answers 200 without one.
        return str(response.headers.get("X-Message-Id") or f"sendgrid-{email.outbox_id}")

    async def lookup(self, outbox_id: str) -> str | None:
        return await asyncio.to_thread(self._lookup, outbox_id)

    def _lookup(self, outbox_id: str) -> str | None:
        # Custom args of v3 Mail Send are the Email Activity query language's `unique_args`.
        query = f"unique_args['{OUTBOX_ARG}']=\"{outbox_id}\""
        try:
            response = self._client.client.messages.get(query_params={"query": query, "limit": 10})
            messages = json.loads(response.body or b"{}").get("messages") or []
        except HTTPError as exc:  # 429, 5xx, or 401/403 when the account lacks the Email Activity add-on
            raise LookupUnanswered(f"SendGrid Email Activity {exc.status_code}: {_first_error(exc.body)}") from None
        except (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException, ValueError) as exc:
            raise LookupUnanswered(f"SendGrid Email Activity unreachable: {type(exc).__name__}") from None
        if response.status_code != 200:
            raise LookupUnanswered(f"unexpected SendGrid Email Activity status {response.status_code}")
        return str(messages[0].get("msg_id") or f"sendgrid-{outbox_id}") if messages else None

    def _mail(self, email: OutboundEmail) -> Mail:
        mail = Mail(
            from_email=From(self._from_email, one_line(email.from_name or self._from_name)),
            to_emails=To(email.to_email, one_line(email.to_name) or None),
            subject=one_line(email.subject),
            plain_text_content=email.text,
            html_content=email.html,
        )
        if email.reply_to:
            mail.reply_to = ReplyTo(email.reply_to)
        # Values must be strings; only our row id goes here, never a token or personal data.
        mail.custom_arg = CustomArg(OUTBOX_ARG, str(email.outbox_id))
        for key, value in email.headers.items():
            mail.header = Header(key, one_line(value))
        tracking = TrackingSettings()
        # Click tracking would rewrite the signed step link through SendGrid's redirector and logs.
        tracking.click_tracking = ClickTracking(False, False)
        tracking.open_tracking = OpenTracking(self._open_tracking)
        tracking.subscription_tracking = SubscriptionTracking(False)
        mail.tracking_settings = tracking
        return mail


def _classify(exc: HTTPError) -> Exception:
    status = int(exc.status_code)
    detail = f"SendGrid {status}: {_first_error(exc.body)}"
    if status == 429 or status >= 500:
        return TransientSendError(detail, retry_after=_retry_after(exc.headers) if status == 429 else None)
    return PermanentSendError(detail)


def _first_error(body: bytes | str | None) -> str:
    try:
        errors = json.loads(body or b"{}").get("errors") or []
        return str(errors[0].get("message", "")) if errors else ""
    except (ValueError, AttributeError):
        return ""


def _retry_after(headers: object) -> float | None:
    """SendGrid publishes no numeric limit: X-RateLimit-Reset (epoch seconds) says when to come back."""
    reset = getattr(headers, "get", lambda _: None)("X-RateLimit-Reset")
    try:
        return max(1.0, min(float(reset) - time.time(), 300.0)) if reset else None
    except ValueError:
        return None
