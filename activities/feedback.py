"""AE feedback side effects: open the request row, email the AE (request and reminders) through the
outbox, record an answer (attribution, trust score, partner timeline), close the request, and a
journey's `trust_updated` timeline event. Every write is keyed by business identity, so retries are
harmless."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.family import ActivityFamily
from activities.feedback_inputs import (
    FeedbackClose,
    FeedbackEmail,
    FeedbackOpen,
    FeedbackPlan,
    FeedbackRecord,
    TrustProjection,
)
from db.cosell_models import AccountExecutive, Deal
from db.models import Program
from db.repositories import deals, feedback, journeys, webhooks, win_wires
from db.repositories.trust import recompute_trust
from db.session import transaction
from db.views.feedback import FeedbackFacts, feedback_facts, outcome_of
from domain.links import FeedbackClaims
from mail import Email
from mail.render import local_time
from workflows.ae_feedback.messages import FeedbackReceipt

CLOSED_STAGES = ("closed_won", "closed_lost")
DEFAULT_REMINDER_DAYS, DEFAULT_EXPIRY_DAYS = [2, 5], 14


class FeedbackActivities(ActivityFamily):
    @activity.defn
    async def open_feedback(self, req: FeedbackOpen) -> FeedbackPlan:
        """Create the request row once (a retry reads back the first one) unless the deal is not closed."""
        async with transaction(self._sessions) as session:
            deal = await session.get(Deal, req.deal_id)
            ae = await session.get(AccountExecutive, req.ae_id)
            if deal is None or ae is None:
                what = "deal" if deal is None else "account executive"
                raise ApplicationError(
                    f"{what} of feedback/{req.deal_id}/{req.ae_id} not found", type="NotFound", non_retryable=True
                )
            if deal.stage not in CLOSED_STAGES:
                reason = f"deal {deal.id} is {deal.stage}, not closed: no feedback asked"
                return FeedbackPlan(
                    ask=False, reason=reason, requested_at=req.requested_at, expires_at=req.requested_at
                )
            program = await session.get(Program, req.program_id or deal.program_id)
            reminder_days = [int(d) for d in (program.feedback_reminder_days if program else DEFAULT_REMINDER_DAYS)]
            expiry_days = program.feedback_expiry_days if program else DEFAULT_EXPIRY_DAYS
            expires_at = req.requested_at + timedelta(days=expiry_days)
            row = await feedback.open_request(session, deal, ae.id, req.requested_at, expires_at)
            return FeedbackPlan(
                ask=True, requested_at=row.requested_at, expires_at=row.expires_at, reminder_days=reminder_days
            )

    @activity.defn
    async def email_feedback_request(self, mail: FeedbackEmail) -> str:
        key = f"feedback/{mail.deal_id}/{mail.ae_id}/" + ("request" if mail.kind == "request" else f"reminder/{mail.n}")
        async with self._mail.post() as post:
            session = post.session
            facts = await feedback_facts(session, mail.deal_id, mail.ae_id)
            if facts is None:
                raise ApplicationError(f"feedback request {key} vanished", type="NotFound", non_retryable=True)
            if mail.kind == "reminder" and facts.row.status != "requested":
                # An answer that raced the reminder timer wins: the AE is never reminded of a form they sent.
                return "skipped"
            if mail.kind == "reminder":
                await feedback.count_reminder(session, mail.deal_id, mail.ae_id, mail.n)
            token = self._signer.sign_feedback(FeedbackClaims(deal_id=mail.deal_id, ae_id=mail.ae_id))
            account, partner = facts.deal.account_name, facts.partner.name
            subject = f"How did {partner} do on {account}?"
            if mail.kind == "reminder":
                subject = f"Reminder: {subject}"
            await post.send(
                Email(
                    kind=f"feedback_{mail.kind}",
                    dedupe_key=key,
                    to_email=facts.ae.email,
                    to_name=facts.ae.name,
                    subject=subject,
                    template="feedback_request",
                    context=dict(
                        program_name=facts.program.name if facts.program else self._settings.program_name,
                        kind=mail.kind,
                        ae_name=facts.ae.name,
                        partner_name=partner,
                        account_name=account,
                        outcome=outcome_of(facts.deal),
                        amount=f"{facts.deal.currency} {facts.deal.amount:,}" if facts.deal.amount else "",
                        expires_local=local_time(mail.expires_at, "UTC"),
                        link=self.link("/ae/feedback", token),
                    ),
                    # An AE's mailbox is not a partner contact's: bounces must not alert about one.
                    journey_id=None,
                    reply_to=facts.program.pm_email if facts.program and facts.program.pm_email else None,
                )
            )
        return post.status

    @activity.defn
    async def record_feedback(self, rec: FeedbackRecord) -> FeedbackReceipt:
        """Store the answer (revision n replaces n-1, never the reverse), the AE's attribution, the new
        trust score and a partner timeline event; say which of the partner's journeys are running."""
        a = rec.answers
        async with transaction(self._sessions) as session:
            await feedback.record_answer(
                session,
                rec.deal_id,
                rec.ae_id,
                rec.revision,
                contribution=a.contribution,
                role_clarity=a.role_clarity,
                responsiveness=a.responsiveness,
                invite_again=a.invite_again,
                comment=a.comment,
                submitted_at=rec.submitted_at,
            )
            facts = await feedback_facts(session, rec.deal_id, rec.ae_id)
            if facts is None:
                raise ApplicationError(
                    f"feedback/{rec.deal_id}/{rec.ae_id} vanished", type="NotFound", non_retryable=True
                )
            await deals.say(session, rec.deal_id, a.contribution, "ae", facts.ae.email, rec.submitted_at)
            # The win wire's draft waits for the PM's approval; a repeated answer finds the one it wrote.
            await win_wires.draft_if_earned(session, rec.deal_id, rec.ae_id, rec.submitted_at)
            trust = await recompute_trust(session, facts.partner.id)
            await _on_timeline(session, facts, rec, trust.score)
            running = await journeys.running_of_partner(session, facts.partner.id)
            return FeedbackReceipt(
                deal_id=rec.deal_id,
                ae_id=rec.ae_id,
                revision=rec.revision,
                submitted_at=rec.submitted_at,
                trust_score=trust.score,
                running_journeys=running,
            )

    @activity.defn
    async def close_feedback(self, close: FeedbackClose) -> None:
        """An unanswered request becomes `expired`; an answer given before stays as it was."""
        async with transaction(self._sessions) as session:
            await feedback.expire(session, close.deal_id, close.ae_id)

    @activity.defn
    async def project_trust(self, change: TrustProjection) -> None:
        async with transaction(self._sessions) as session:
            await journeys.append_event(
                session,
                f"{change.journey_id}/trust/{change.key}",
                change.journey_id,
                "trust_updated",
                change.stage,
                None,
                change.occurred_at,
                {"trust_score": change.trust_score, "feedback_received": change.feedback_received},
            )

    def all(self) -> list:  # type: ignore[type-arg]
        return [
            self.open_feedback,
            self.email_feedback_request,
            self.record_feedback,
            self.close_feedback,
            self.project_trust,
        ]


async def _on_timeline(
    session: AsyncSession, facts: FeedbackFacts, rec: FeedbackRecord, trust_score: int | None
) -> None:
    """The answer on the partner's latest journey timeline (a webhook event too), or, with no journey, the
    webhook event alone."""
    a = rec.answers
    journey = await journeys.latest_of_partner(session, facts.partner.id)
    heard = {
        "deal_id": rec.deal_id,
        "account": facts.deal.account_name,
        "ae": facts.ae.name,
        "revision": rec.revision,
        "contribution": a.contribution,
        "role_clarity": a.role_clarity,
        "responsiveness": a.responsiveness,
        "invite_again": a.invite_again,
        "trust_score": trust_score,
    }
    said = f"feedback/{rec.deal_id}/{rec.ae_id}/{rec.revision}"
    if journey is not None:
        kind, stage = "ae_feedback_received", journey.stage
        await journeys.append_event(
            session, f"{journey.id}/{said}", journey.id, kind, stage, None, rec.submitted_at, heard
        )
        return
    await webhooks.emit_without_journey(
        session,
        f"partner/{facts.partner.id}/{said}",
        facts.deal.program_id,
        facts.partner.id,
        "ae_feedback_received",
        rec.submitted_at,
        heard,
    )
