"""Emails that are not step invites: the PM alert about an unreachable contact, and a fresh step link.

Both are queued in the caller's transaction with a business dedupe key, like every other email, and
delivered after commit through the same claim -> send -> record path (mail.delivery.deliver).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import EmailOutbox
from db.repositories import journeys, outbox
from db.views.journey_map import journey_map
from db.views.journeys import JourneyFacts
from domain.links import LinkSigner, StepClaims
from domain.schedule import zone
from mail.queue import Email, queue
from mail.render import local_time

REASONS = {
    "bounce": "their mail server rejects our emails (a hard bounce)",
    "dropped": "SendGrid will not deliver to this address any more (it bounced or complained before)",
    "spamreport": "they marked one of our emails as spam",
    "unsubscribe": "they unsubscribed from reminders",
}


STEP_KINDS = ("step_invite", "step_reminder", "fresh_link")


def is_pm_email(kind: str) -> bool:
    """Emails to the program manager (pm_alert, pm_gate_held, pm_escalated, ...) say nothing about a partner's
    mailbox: they are never reported as partner signals and never alert the PM about themselves."""
    return kind.startswith("pm_")


def step_of(row: EmailOutbox) -> str | None:
    """Step emails are keyed `<journey id>/<step>/<kind>/<n>` (notify_step); others name no step."""
    prefix = f"{row.journey_id}/"
    if row.kind in STEP_KINDS and row.journey_id and row.dedupe_key.startswith(prefix):
        return row.dedupe_key[len(prefix) :].split("/", 1)[0] or None
    return None


def address_key(email: str) -> str:
    """Event ids and dedupe keys name an address by hash, so ids stay short and free of personal data."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:16]


async def contact_unreachable(
    session: AsyncSession,
    facts: JourneyFacts,
    *,
    email: str,
    contact_name: str,
    reason: str,
    step_key: str | None,
    occurred_at: datetime,
    provider: str,
    base_url: str = "",
) -> str | None:
    """Put it on the journey's timeline and queue one alert to the PM per journey, address and reason.

    Returns the alert's outbox id (to deliver after commit), or None when there is no PM address.
    """
    journey = facts.journey
    step_key = step_key or journey.current_step
    await journeys.append_event(
        session,
        f"{journey.id}/contact/{address_key(email)}/{reason}",
        journey.id,
        "contact_unsubscribed" if reason == "unsubscribe" else "contact_unreachable",
        journey.stage,
        step_key,
        occurred_at,
        {"reason": reason, "reminders_only": reason == "unsubscribe"},
    )
    if not facts.alert_email:
        return None
    subject = f"{facts.partner.name}: {contact_name or 'a contact'} can't be reached by email"
    alert = Email(
        kind="pm_alert",
        dedupe_key=f"pm-alert/{journey.id}/{address_key(email)}/{reason}",
        to_email=facts.alert_email,
        to_name="",
        subject=subject,
        template="pm_alert",
        context=dict(
            program_name=facts.program_name,
            partner_name=facts.partner.name,
            contact_name=contact_name,
            contact_email=email,
            reason=REASONS.get(reason, reason),
            reminders_only=reason == "unsubscribe",
            step_title=facts.step_title(step_key),
            # Delivery's own suppression check knows no public address: that alert goes without the link.
            dashboard_url=f"{base_url.rstrip('/')}/partners/{facts.partner.id}" if base_url else "",
        ),
        journey_id=journey.id,
    )
    outbox_id, _ = await queue(session, alert, provider)
    return outbox_id


@dataclass(frozen=True)
class FreshLink:
    outbox_id: str
    already_sent_today: bool


async def fresh_step_link(
    session: AsyncSession,
    facts: JourneyFacts,
    claims: StepClaims,
    signer: LinkSigner,
    public_base_url: str,
    today: date,
    provider: str,
) -> FreshLink | None:
    """Queue a new link for the same step to the same contact its emails went to; once per day."""
    previous = await outbox.latest_for_step(session, claims.journey_id, claims.step_key)
    step_row = await journeys.get_step(session, claims.journey_id, claims.step_key)
    if previous is None or step_row is None:
        return None
    step = facts.playbook.step(claims.step_key)
    play = facts.playbook.play_of(claims.step_key)
    link = f"{public_base_url.rstrip('/')}/p/{signer.sign_step(claims)}"
    subject = f"Your new link: {step.email.subject}"
    email = Email(
        kind="fresh_link",
        dedupe_key=f"{claims.journey_id}/{claims.step_key}/fresh_link/{today.isoformat()}",
        to_email=previous.to_email,
        to_name=previous.to_name,
        subject=subject,
        template="step",
        context=dict(
            program_name=facts.program_name,
            partner_name=facts.partner.name,
            contact_name=previous.to_name,
            kind="fresh",
            intro=step.email.intro,
            play_title=play.title,
            step_title=step.title,
            due_local=local_time(step_row.due_at, facts.partner.timezone),
            link=link,
            journey=await journey_map(session, facts, claims.step_key),
        ),
        journey_id=claims.journey_id,
    )
    outbox_id, created = await queue(session, email, provider)
    return FreshLink(outbox_id=outbox_id, already_sent_today=not created)


def day_of(moment: datetime, tz: str) -> date:
    return moment.astimezone(zone(tz)).date()
