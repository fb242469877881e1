"""Partner 360: the partner, its contacts, journeys with timelines, answers, signals, tier history and more.

Read through the repositories and read views the rest of the API uses; the scores are recomputed from
the recorded facts at `as_of` (domain.intel.assess), exactly as GET /partners/{id}/signals does.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from api.intel.partner360_schemas import (
    ContactOut,
    DealOut,
    EventOut,
    FeedbackAskOut,
    FeedbackOut,
    IntroOut,
    JourneyOut,
    Partner360Out,
    PartnerHeadOut,
    SubmissionOut,
    TierMoveOut,
)
from api.intel.service import to_out
from db.models import Partner
from db.repositories import journeys, partner_facts, partners, programs, tier_reviews
from db.views import dashboard
from domain.intel.assess import assess
from domain.intel.facts import PartnerFacts
from domain.intel.rubric import program_rubric


async def journeys_of(session: AsyncSession, partner_id: str) -> list[JourneyOut]:
    out = []
    for row in await dashboard.journeys_of_partner(session, partner_id):
        j = row.journey
        events = await journeys.timeline(session, j.id)
        out.append(
            JourneyOut(
                journey_id=j.id,
                cohort_id=row.cohort_id,
                cohort_name=row.cohort_name,
                program_id=row.program_id,
                stage=j.stage,
                status=j.status,
                current_step=j.current_step,
                open_steps=list(row.open_steps),
                started_at=j.started_at,
                completed_at=j.completed_at,
                timeline=[EventOut.model_validate(e) for e in events],
            )
        )
    return out


def _submissions(facts: PartnerFacts, steps: dict[str, str]) -> list[SubmissionOut]:
    return [
        SubmissionOut(
            journey_id=s.journey_id or steps.get(s.step_key, ""),
            step_key=s.step_key,
            title=s.title,
            answer_kinds=[k.value for k in s.answer_kinds],
            answers=s.answers,
            submitted_at=s.submitted_at,
            review="graded" if s.review.grade is not None else s.review.state,
            score=s.review.grade,
            review_comment=s.review.comment,
            reviewed_by=s.review.by or None,
            reviewed_at=s.review.at,
        )
        for s in sorted(facts.submissions, key=lambda s: s.submitted_at)
    ]


async def partner_360(session: AsyncSession, partner_id: str, as_of: datetime) -> Partner360Out | None:
    row = await session.get(Partner, partner_id)
    facts = await partner_facts.load_one(session, partner_id)
    if row is None or facts is None:
        return None
    rubric = program_rubric(await programs.rubric_of_partner(session, partner_id))
    signals = to_out(assess(facts, as_of, rubric), rubric)
    contacts = sorted((await partners.contacts_by_email(session, partner_id)).values(), key=lambda c: c.id)
    step_journeys = {s.step_key: s.journey_id for s in facts.steps}
    return Partner360Out(
        partner=PartnerHeadOut.model_validate(row),
        as_of=as_of,
        contacts=[ContactOut.model_validate(c) for c in contacts],
        journeys=await journeys_of(session, partner_id),
        submissions=_submissions(facts, step_journeys),
        signals=signals,
        tier_history=[TierMoveOut.model_validate(m) for m in await tier_reviews.history(session, partner_id)],
        deals=[DealOut.model_validate(d) for d in facts.deals],
        intros=[IntroOut.model_validate(i) for i in facts.intros],
        feedback=[FeedbackOut.model_validate(asdict(f)) for f in facts.feedback],
        feedback_asks=[FeedbackAskOut.model_validate(a) for a in facts.feedback_asks],
        next_best_action=signals.next_action,
    )
