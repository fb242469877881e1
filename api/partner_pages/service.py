"""Everything a step link page needs, read from the read model and the pinned playbook snapshot."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.link_pages.updates import UpdateOutcome, submit_update
from db.intel_models import SubmissionReview
from db.models import EmailOutbox, utcnow
from db.repositories import journeys, outbox, suppressions, visits, win_wires
from db.views.journey_map import journey_map
from db.views.journeys import JourneyFacts, StepView, journey_facts, step_view
from domain.links import DoneClaims, LinkSigner, StepClaims, UnsubscribeClaims
from domain.public_holidays import public_holidays
from domain.schedule import due_at
from domain.visits import not_a_visit
from mail import notices
from mail.unsubscribe import WIN_WIRE_KIND
from workflows.journey.messages import StepReceipt, StepSubmission
from workflows.journey.workflow import PartnerJourneyWorkflow

StepPage = StepView  # a step link page shows one step of a journey with everything around it


async def load(session: AsyncSession, claims: StepClaims) -> StepPage | None:
    """The step and where the partner stands, scoped to the link's journey (and so its partner)."""
    page = await step_view(session, claims.journey_id, claims.step_key)
    if page is None:
        return None
    return replace(page, map=await journey_map(session, page.facts, claims.step_key))


async def record_visit(session: AsyncSession, page: StepPage, method: str, user_agent: str | None) -> bool:
    """A behavior fact: the partner looked at the step (never from a known scanner prefetch)."""
    if not_a_visit(method, user_agent) is not None:
        return False
    now = utcnow()
    day = notices.day_of(now, page.partner.timezone)  # "once a day" in the partner's own day
    return await visits.record(session, page.journey.id, page.step_row.step_key, page.partner.id, day, now)


@dataclass(frozen=True)
class SentBack:
    comment: str
    previous: dict  # the answer sent back: the form starts from it


async def sent_back(session: AsyncSession, page: StepPage) -> SentBack | None:
    if not page.reopened:
        return None
    review = await session.get(SubmissionReview, (page.journey.id, page.step_row.step_key))
    return SentBack(review.comment if review else "", dict(page.step_row.submission or {}))


@dataclass(frozen=True)
class AlsoOpen:
    title: str
    due_at: datetime
    link: str


async def also_open(session: AsyncSession, page: StepPage, signer: LinkSigner) -> list[AlsoOpen]:
    """A parallel play's other steps open now, each with its own link: the partner does them in any order."""
    if not page.play.parallel or page.state != "open":
        return []
    rows = await journeys.open_steps_of_play(session, page.journey.id, page.play.key)
    return [
        AlsoOpen(
            page.facts.step_title(row.step_key),
            row.due_at,
            "/p/" + signer.sign_step(StepClaims(journey_id=page.journey.id, step_key=row.step_key)),
        )
        for row in rows
        if row.step_key != page.step_row.step_key
    ]


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
    # Same rule as the journey workflow: due_days after the invite on a business day, never past the window's end.
    partner = page.partner
    days_off = public_holidays(partner.country, range(completed_at.year, completed_at.year + 2))
    due = due_at(completed_at, step.due_days, partner.timezone, frozenset(days_off))
    return NextUp(step.title, min(due, page.cohort.ends_at), estimated=True)


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
    facts = page.facts
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
    facts: JourneyFacts | None
    win_wire_program: str | None = None  # a win wire's: the program whose field list the address leaves

    @property
    def program_name(self) -> str:
        if self.win_wire_program:
            return self.win_wire_program
        return self.facts.program_name if self.facts else "our partner program"

    @property
    def win_wire_id(self) -> str | None:
        key = self.row.dedupe_key.split("/")  # mail from a win wire's approval: win-wire/<wire id>/<address>
        return key[1] if self.row.kind == WIN_WIRE_KIND and len(key) == 3 and key[0] == "win-wire" else None


async def unsubscribe_page(session: AsyncSession, claims: UnsubscribeClaims) -> UnsubscribePage | None:
    row = await outbox.get(session, claims.outbox_id)
    if row is None:
        return None
    facts = await journey_facts(session, row.journey_id) if row.journey_id else None
    page = UnsubscribePage(row, facts)
    if page.win_wire_id and (program := await win_wires.program_of(session, page.win_wire_id)) is not None:
        return UnsubscribePage(row, facts, program.name)
    return page


async def unsubscribe(session: AsyncSession, page: UnsubscribePage, provider: str, base_url: str) -> str | None:
    """Stop reminders to this address; the first time, tell the journey and queue the PM's alert. From a win
    wire: take the address off that program's field list instead (its reminders, if any, are another matter)."""
    if page.win_wire_id:
        await win_wires.unsubscribe(session, page.win_wire_id, page.row.to_email, utcnow())
        return None
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
        base_url=base_url,
    )


async def submit(client: Client, claims: StepClaims, answers: dict, submission_id: str) -> UpdateOutcome[StepReceipt]:
    return await submit_update(
        client.get_workflow_handle(claims.journey_id),
        PartnerJourneyWorkflow.complete_step,
        StepSubmission(step_key=claims.step_key, answers=answers),
        update_id=f"complete/{claims.step_key}/{submission_id}",
    )
