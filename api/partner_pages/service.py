"""Everything a step link page needs, read from the read model and the pinned playbook snapshot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from activities.email import notices
from api.updates import UpdateOutcome, submit_update
from db.models import Cohort, EmailOutbox, Journey, JourneyStep, Partner, utcnow
from db.repositories import journeys, outbox, suppressions
from db.repositories import playbooks as playbook_repo
from domain.links import DoneClaims, LinkSigner, StepClaims, UnsubscribeClaims
from playbooks.model import Play, Playbook, Step
from workflows.journey import PartnerJourneyWorkflow
from workflows.types import StepReceipt, StepSubmission


@dataclass
class StepPage:
    journey: Journey
    step_row: JourneyStep
    partner: Partner
    playbook: Playbook
    play: Play
    step: Step
    cohort: Cohort

    @property
    def state(self) -> str:
        if self.step_row.status == "completed":
            return "completed"
        if self.step_row.status == "overdue" or self.journey.status in ("completed", "exited"):
            return "closed"
        return "open"


async def load(session: AsyncSession, claims: StepClaims) -> StepPage | None:
    journey = await journeys.get_journey(session, claims.journey_id)
    step_row = await journeys.get_step(session, claims.journey_id, claims.step_key)
    if journey is None or step_row is None:
        return None
    cohort = await session.get(Cohort, journey.cohort_id)
    partner = await session.get(Partner, journey.partner_id)
    version = journey.playbook_version or (cohort.playbook_version if cohort else None)
    snapshot = await playbook_repo.get(session, cohort.playbook_id, version) if cohort else None
    if cohort is None or partner is None or snapshot is None:
        return None
    playbook = playbook_repo.to_model(snapshot)
    return StepPage(
        journey,
        step_row,
        partner,
        playbook,
        playbook.play_of(claims.step_key),
        playbook.step(claims.step_key),
        cohort,
    )


@dataclass(frozen=True)
class NextUp:
    title: str
    due_at: datetime
    estimated: bool  # the invite is not in the read model yet: due date computed the way the journey will


async def next_up(session: AsyncSession, page: StepPage, done: DoneClaims) -> NextUp | None:
    if not done.next_step:
        return None
    try:
        step = page.playbook.step(done.next_step)
    except KeyError:
        return None
    row = await journeys.get_step(session, page.journey.id, done.next_step)
    if row is not None:
        return NextUp(step.title, row.due_at, estimated=False)
    completed_at = datetime.fromisoformat(done.completed_at)
    # Same rule as the journey workflow: due_days after the invite, never past the window's end.
    return NextUp(step.title, min(completed_at + timedelta(days=step.due_days), page.cohort.ends_at), estimated=True)


def done_claims(claims: StepClaims, receipt: StepReceipt) -> DoneClaims:
    return DoneClaims(
        journey_id=claims.journey_id,
        step_key=claims.step_key,
        next_step=receipt.next_step.step_key if receipt.next_step else None,
        completed_at=receipt.completed_at.isoformat(),
    )


async def fresh_link(
    session: AsyncSession, page: StepPage, claims: StepClaims, signer: LinkSigner, base_url: str, provider: str
) -> notices.FreshLink | None:
    facts = await notices.journey_facts(session, claims.journey_id)
    if facts is None:
        return None
    today = notices.day_of(utcnow(), page.partner.timezone)  # "once a day" in the partner's own day
    sent = await notices.fresh_step_link(session, facts, claims, signer, base_url, today, provider)
    if sent is not None and not sent.already_sent_today:
        await journeys.append_event(
            session,
            f"{claims.journey_id}/{claims.step_key}/fresh_link/{today.isoformat()}",
            claims.journey_id,
            "fresh_link_sent",
            page.step_row.stage,
            claims.step_key,
            utcnow(),
            {"outbox_id": sent.outbox_id},
        )
    return sent


@dataclass(frozen=True)
class UnsubscribePage:
    row: EmailOutbox
    facts: notices.JourneyFacts | None

    @property
    def program_name(self) -> str:
        return self.facts.program_name if self.facts else "our partner program"


async def unsubscribe_page(session: AsyncSession, claims: UnsubscribeClaims) -> UnsubscribePage | None:
    row = await outbox.get(session, claims.outbox_id)
    if row is None:
        return None
    facts = await notices.journey_facts(session, row.journey_id) if row.journey_id else None
    return UnsubscribePage(row, facts)


async def unsubscribe(session: AsyncSession, page: UnsubscribePage, provider: str) -> str | None:
    """Stop reminders to this address; the first time, tell the journey and queue the PM's alert."""
    widened = await suppressions.record(session, page.row.to_email, suppressions.REMINDERS, "unsubscribe", "link")
    if not widened or page.facts is None:
        return None
    return await notices.contact_unreachable(
        session,
        page.facts,
        email=page.row.to_email,
        contact_name=page.row.to_name,
        reason="unsubscribe",
        step_key=notices.step_of(page.row),
        occurred_at=utcnow(),
        provider=provider,
    )


async def submit(client: Client, claims: StepClaims, answers: dict, submission_id: str) -> UpdateOutcome[StepReceipt]:
    return await submit_update(
        client.get_workflow_handle(claims.journey_id),
        PartnerJourneyWorkflow.complete_step,
        StepSubmission(step_key=claims.step_key, answers=answers),
        update_id=f"complete/{claims.step_key}/{submission_id}",
    )
