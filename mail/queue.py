"""An email as the rest of the code describes it, and the one way it enters the outbox: rendered and
written in the caller's transaction under its business dedupe key (a retry finds the same row)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db.repositories import outbox
from mail.render import EmailRenderer

_renderer = EmailRenderer()


@dataclass(frozen=True)
class Email:
    kind: str  # the outbox kind (step_invite, pm_alert, feedback_request, ...): decides headers and suppression
    dedupe_key: str  # one row per business event, whoever writes it and however often
    to_email: str
    to_name: str
    subject: str
    template: str  # mail/templates/<template>.html and .txt; both get `subject` and `context`
    context: dict[str, Any] = field(default_factory=dict)
    journey_id: str | None = None  # a partner journey's email: its bounces and opens are journey signals
    reply_to: str | None = None  # None: the journey's PM for partner emails (see delivery), else no Reply-To


async def queue(
    session: AsyncSession,
    email: Email,
    provider: str,
    renderer: EmailRenderer | None = None,
    outbox_id: str | None = None,
) -> tuple[str, bool]:
    """Render and write the outbox row; return its id and whether this call created it. `outbox_id`: the id
    the new row gets (an email whose body links to its own row, such as an unsubscribe link, names it first)."""
    html, text = (renderer or _renderer).render(email.template, {"subject": email.subject, **email.context})
    return await outbox.enqueue_if_new(
        session,
        email.dedupe_key,
        **({"id": outbox_id} if outbox_id else {}),
        journey_id=email.journey_id,
        kind=email.kind,
        to_email=email.to_email,
        to_name=email.to_name,
        subject=email.subject,
        html=html,
        text=text,
        provider=provider,
    )
