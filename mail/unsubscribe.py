"""Reminders and win wires carry RFC 8058 one-click unsubscribe; invites and notices are transactional and don't.

A reminder series is closer to a subscription than a one-off "complete this step" email (Google's
sender guidelines draw that line), so mailbox providers should offer an unsubscribe button for it; a win wire
to the field list is a subscription outright (one click takes the address off the program's field list).
The header is added at send time because it names the outbox row, which exists only after enqueueing.
"""

from __future__ import annotations

import dataclasses

from domain.links import LinkSigner, UnsubscribeClaims
from mail.sender import EmailSender, OutboundEmail

REMINDER_KIND = "step_reminder"
WIN_WIRE_KIND = "win_wire"
ONE_CLICK_KINDS = (REMINDER_KIND, WIN_WIRE_KIND)


def unsubscribe_url(signer: LinkSigner, public_base_url: str, outbox_id: str) -> str:
    token = signer.sign_unsubscribe(UnsubscribeClaims(outbox_id=outbox_id))
    return f"{public_base_url.rstrip('/')}/p/unsubscribe/{token}"


class ListUnsubscribe:
    """Wraps any backend; adds List-Unsubscribe and List-Unsubscribe-Post to reminders and win wires."""

    def __init__(self, inner: EmailSender, signer: LinkSigner, public_base_url: str):
        self._inner, self._signer, self._base = inner, signer, public_base_url
        self.name = inner.name

    @property
    def inner(self) -> EmailSender:
        """The wrapped backend (mail.sender.lookup_of asks it whether it can look sends up)."""
        return self._inner

    async def send(self, email: OutboundEmail) -> str:
        if email.kind in ONE_CLICK_KINDS:
            url = unsubscribe_url(self._signer, self._base, email.outbox_id)
            headers = {
                **email.headers,
                "List-Unsubscribe": f"<{url}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            }
            email = dataclasses.replace(email, headers=headers)
        return await self._inner.send(email)
