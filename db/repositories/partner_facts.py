"""Read one partner's (or a page of partners') recorded facts into `domain.intel.facts.PartnerFacts`.

One query per table for the whole batch, so a cohort page or a tier-review page costs the same
handful of round trips whatever its size. A step's first sight is the earlier of its first link-page
visit (`step_visits`) and the first click in its invite or reminder email. Facts the database does
not record yet are left empty. A PM review (`submission_reviews`) applies to the answer it reviewed: a
revision submitted since reads as pending. The tier reviews' hysteresis state is the partner's
`missed_reviews`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.cosell_models import (
    AccountExecutive,
    AccountMatch,
    AeFeedback,
    Deal,
    IntroRequest,
    PartnerAccount,
    VendorAccount,
)
from db.intel_models import SubmissionReview
from db.models import Cohort, CohortMember, EmailOutbox, Journey, JourneyEvent, JourneyStep, Partner
from db.repositories import playbooks as playbook_repo
from db.repositories import reviews, visits
from domain.intel.facts import (
    DealFact,
    EventFact,
    FeedbackAsk,
    IntroFact,
    PartnerFacts,
    Review,
    StepFact,
    Submission,
    answer_kinds_of,
)
from domain.trust import Feedback
from playbooks.model import Step

EVENT_KINDS = ("gate_held", "gate_decided", "journey_exited", "journey_completed")
STEP_EMAILS = ("step_invite", "step_reminder")
STEP_COLUMNS = (
    JourneyStep.journey_id,
    JourneyStep.step_key,
    JourneyStep.stage,
    JourneyStep.invited_at,
    JourneyStep.due_at,
    JourneyStep.reminders_sent,
    JourneyStep.completed_at,
    JourneyStep.submission,
)


async def load_one(session: AsyncSession, partner_id: str) -> PartnerFacts | None:
    return (await load_many(session, [partner_id])).get(partner_id)


async def load_many(session: AsyncSession, partner_ids: Sequence[str]) -> dict[str, PartnerFacts]:
    ids = list(dict.fromkeys(partner_ids))
    partners = list(await session.scalars(select(Partner).where(Partner.id.in_(ids))))
    if not partners:
        return {}
    found = [p.id for p in partners]
    journeys = list(
        await session.execute(
            select(Journey, Cohort.playbook_id, Cohort.playbook_version)
            .join(Cohort, Cohort.id == Journey.cohort_id)
            .where(Journey.partner_id.in_(found))
        )
    )
    journey_ids = [j.id for j, _, _ in journeys]
    steps, subs = await _steps(session, journeys)
    parts: dict[str, dict[str, Any]] = {p.id: {"steps": [], "submissions": []} for p in partners}
    owner = {j.id: j.partner_id for j, _, _ in journeys}
    for journey_id, step in steps:
        parts[owner[journey_id]]["steps"].append(step)
    for journey_id, sub in subs:
        parts[owner[journey_id]]["submissions"].append(sub)
    events = await _events(session, journey_ids)
    for journey_id, event in events:
        parts[owner[journey_id]].setdefault("events", []).append(event)
    for pid, key, values in await _around(session, found):
        parts[pid][key] = values
    started = {j.partner_id: j.started_at for j, _, _ in sorted(journeys, key=lambda r: r[0].started_at, reverse=True)}
    return {p.id: _facts(p, started.get(p.id, p.created_at), parts[p.id]) for p in partners}


def _facts(p: Partner, joined_at: datetime, part: dict[str, Any]) -> PartnerFacts:
    tier = p.tier if p.tier in (1, 2, 3) else 3
    return PartnerFacts(
        partner_id=p.id,
        name=p.name,
        type=p.type,
        verticals=tuple(p.verticals or ()),
        region=p.region,
        tier=tier,  # type: ignore[arg-type]
        missed_reviews=p.missed_reviews or 0,
        joined_at=joined_at,
        steps=tuple(part["steps"]),
        submissions=tuple(part["submissions"]),
        events=tuple(part.get("events", ())),
        intros=tuple(part.get("intros", ())),
        deals=tuple(part.get("deals", ())),
        feedback=tuple(part.get("feedback", ())),
        feedback_asks=tuple(part.get("asks", ())),
        accounts_uploaded=part.get("accounts_uploaded", 0),
        overlapping=tuple(part.get("overlapping", ())),
    )


async def _steps(session: AsyncSession, journeys: list[Any]) -> tuple[list[tuple[str, StepFact]], list[Any]]:
    books: dict[tuple[str, int], dict[str, Step]] = {}
    book_of: dict[str, dict[str, Step]] = {}  # journey -> its playbook's steps by key
    for journey, playbook_id, cohort_version in journeys:
        key = (playbook_id, playbook_repo.version_of(journey, cohort_version))
        if key not in books:
            snapshot = await playbook_repo.get(session, *key)
            book = playbook_repo.to_model(snapshot) if snapshot else None
            books[key] = {step.key: step for _, _, step in book.iter_steps()} if book else {}
        book_of[journey.id] = books[key]
    # Columns, not ORM objects: a tier review page reads thousands of steps, and building identity-mapped
    # instances was most of the cost of reading them.
    step_rows = await session.execute(select(*STEP_COLUMNS).where(JourneyStep.journey_id.in_(list(book_of))))
    clicks = await _first_seen(session, list(book_of))
    reviewed = await reviews.of_journeys(session, list(book_of))
    steps, subs = [], []
    for row in step_rows:
        step = book_of[row.journey_id].get(row.step_key)
        steps.append((row.journey_id, _step_fact(row, step, clicks.get((row.journey_id, row.step_key)))))
        if step is not None and row.completed_at and row.submission:
            kinds = answer_kinds_of(step.kind.value, [s.value for s in step.signals], [f.key for f in step.fields])
            if kinds:
                review = reviewed.get((row.journey_id, row.step_key))
                sub = Submission(
                    journey_id=row.journey_id,
                    step_key=row.step_key,
                    title=step.title,
                    answer_kinds=kinds,
                    answers=row.submission,
                    submitted_at=row.completed_at,
                    review=_review_of(review, row.completed_at),
                    sent_back_at=review.sent_back_at if review else None,
                    revision=2 if review and review.revised_at else 1,
                )
                subs.append((row.journey_id, sub))
    return steps, subs


def _review_of(row: SubmissionReview | None, completed_at: datetime) -> Review:
    return Review(state="pending") if row is None else reviews.to_review(row, completed_at)


def _step_fact(row: Any, step: Step | None, clicked: datetime | None) -> StepFact:
    cadence = step.reminders.max_reminders if step and step.reminders else 2
    # Built without validation: every value is a typed column or the validated playbook's, and a review
    # builds tens of thousands of these.
    return StepFact.model_construct(
        journey_id=row.journey_id,
        step_key=row.step_key,
        title=step.title if step else row.step_key,
        kind=step.kind.value if step else "form",
        stage=row.stage,
        invited_at=row.invited_at,
        due_at=row.due_at,
        reminders_sent=row.reminders_sent,
        max_reminders=cadence,
        first_seen_at=clicked,
        completed_at=row.completed_at,
    )


async def _first_seen(session: AsyncSession, journey_ids: list[str]) -> dict[tuple[str, str], datetime]:
    seen = await _clicks(session, journey_ids)
    for key, at in (await visits.first_visits(session, journey_ids)).items():
        seen[key] = min(seen.get(key, at), at)
    return seen


async def _clicks(session: AsyncSession, journey_ids: list[str]) -> dict[tuple[str, str], datetime]:
    """First click in a step's invite or reminder email, per (journey, step); the dedupe key names the step."""
    rows = await session.execute(
        select(EmailOutbox.journey_id, EmailOutbox.dedupe_key, EmailOutbox.clicked_at).where(
            EmailOutbox.journey_id.in_(journey_ids),
            EmailOutbox.kind.in_(STEP_EMAILS),
            EmailOutbox.clicked_at.is_not(None),
        )
    )
    first: dict[tuple[str, str], datetime] = {}
    for journey_id, dedupe_key, clicked_at in rows:
        if journey_id is None or clicked_at is None:
            continue
        step_key = dedupe_key.removeprefix(f"{journey_id}/").split("/", 1)[0]
        key = (journey_id, step_key)
        first[key] = min(first.get(key, clicked_at), clicked_at)
    return first


async def _events(session: AsyncSession, journey_ids: list[str]) -> list[tuple[str, EventFact]]:
    rows = await session.scalars(
        select(JourneyEvent)
        .where(JourneyEvent.journey_id.in_(journey_ids), JourneyEvent.kind.in_(EVENT_KINDS))
        .order_by(JourneyEvent.occurred_at, JourneyEvent.id)
    )
    return [
        (
            e.journey_id,
            EventFact(
                journey_id=e.journey_id, kind=e.kind, occurred_at=e.occurred_at, step_key=e.step_key, data=e.data
            ),
        )
        for e in rows
    ]


async def _around(session: AsyncSession, ids: list[str]) -> list[tuple[str, str, Any]]:
    """Intros, deals, AE feedback and account overlap: (partner, facts key, values)."""
    out: list[tuple[str, str, Any]] = []
    for loader in (_intros, _deals, _feedback, _accounts):
        out += await loader(session, ids)
    return out


def _grouped(pairs: Any, key: str) -> list[tuple[str, str, Any]]:
    by: dict[str, list[Any]] = defaultdict(list)
    for pid, value in pairs:
        by[pid].append(value)
    return [(pid, key, values) for pid, values in by.items()]


async def _intros(session: AsyncSession, ids: list[str]) -> list[tuple[str, str, Any]]:
    rows = await session.execute(
        select(IntroRequest, VendorAccount.name, AccountExecutive.name)
        .join(VendorAccount, VendorAccount.id == IntroRequest.vendor_account_id)
        .join(AccountExecutive, AccountExecutive.id == IntroRequest.ae_id)
        .where(IntroRequest.partner_id.in_(ids))
        .order_by(IntroRequest.requested_at, IntroRequest.id)
    )
    facts = (
        (
            i.partner_id,
            IntroFact(
                intro_id=i.id,
                account_name=account,
                ae_id=i.ae_id,
                ae_name=ae,
                status=i.status,  # type: ignore[arg-type]
                requested_at=i.requested_at,
                answered_at=i.answered_at,
            ),
        )
        for i, account, ae in rows
    )
    return _grouped(facts, "intros")


async def _deals(session: AsyncSession, ids: list[str]) -> list[tuple[str, str, Any]]:
    rows = await session.execute(
        select(Deal, AccountExecutive.name)
        .outerjoin(AccountExecutive, AccountExecutive.id == Deal.ae_id)
        .where(Deal.partner_id.in_(ids))
        .order_by(Deal.registered_at, Deal.id)
    )
    facts = (
        (
            d.partner_id,
            DealFact(
                deal_id=d.id,
                account_name=d.account_name,
                stage=d.stage,  # type: ignore[arg-type]
                partner_role=d.partner_role,
                source=d.source,  # type: ignore[arg-type]
                ae_id=d.ae_id,
                ae_name=ae or "",
                amount=d.amount,
                registered_at=d.registered_at,
                updated_at=d.updated_at,
                expected_close=d.expected_close,
                closed_at=d.closed_at,
                conflict=d.conflict,  # type: ignore[arg-type]
            ),
        )
        for d, ae in rows
    )
    return _grouped(facts, "deals")


async def _feedback(session: AsyncSession, ids: list[str]) -> list[tuple[str, str, Any]]:
    rows = list(
        await session.execute(
            select(AeFeedback, AccountExecutive.name, Deal.account_name)
            .join(AccountExecutive, AccountExecutive.id == AeFeedback.ae_id)
            .join(Deal, Deal.id == AeFeedback.deal_id)
            .where(AeFeedback.partner_id.in_(ids))
        )
    )
    answered = (
        (
            f.partner_id,
            Feedback(
                f.deal_id,
                f.ae_id,
                ae,
                f.contribution,
                f.role_clarity,
                f.responsiveness,
                f.invite_again,
                f.submitted_at,
                account,
            ),
        )
        for f, ae, account in rows
        if f.status == "submitted"
        and f.contribution
        and f.role_clarity
        and f.responsiveness
        and f.invite_again is not None
    )
    asks = (
        (
            f.partner_id,
            FeedbackAsk(
                deal_id=f.deal_id,
                ae_id=f.ae_id,
                ae_name=ae,
                status=f.status,  # type: ignore[arg-type]
                requested_at=f.requested_at,
                expires_at=f.expires_at,
            ),
        )
        for f, ae, _ in rows
    )
    return _grouped(answered, "feedback") + _grouped(asks, "asks")


async def _accounts(session: AsyncSession, ids: list[str]) -> list[tuple[str, str, Any]]:
    counts = await session.execute(
        select(PartnerAccount.partner_id, func.count())
        .where(PartnerAccount.partner_id.in_(ids))
        .group_by(PartnerAccount.partner_id)
    )
    out: list[tuple[str, str, Any]] = [(pid, "accounts_uploaded", n) for pid, n in counts]
    names = await session.execute(
        select(AccountMatch.partner_id, VendorAccount.name)
        .join(VendorAccount, VendorAccount.id == AccountMatch.vendor_account_id)
        .where(AccountMatch.partner_id.in_(ids))
        .distinct()
        .order_by(AccountMatch.partner_id, VendorAccount.name)
    )
    return out + _grouped(names, "overlapping")


async def cohort_partner_ids(session: AsyncSession, cohort_id: str) -> list[str] | None:
    """The cohort's current members, by name; None when there is no such cohort."""
    if await session.get(Cohort, cohort_id) is None:
        return None
    rows = await session.scalars(
        select(CohortMember.partner_id)
        .join(Partner, Partner.id == CohortMember.partner_id)
        .where(CohortMember.cohort_id == cohort_id, CohortMember.removed_at.is_(None))
        .order_by(Partner.name, Partner.id)
    )
    return list(rows)
