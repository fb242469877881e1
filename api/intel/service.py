"""A partner's signals, tier, class and next action, recomputed from its recorded facts on each read."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from api.intel.schemas import (
    ActionOut,
    ClassificationOut,
    CohortIntelligenceOut,
    GapOut,
    PartnerSummaryOut,
    ScoreOut,
    SignalsOut,
    TierOut,
    TodayItemOut,
)
from db.repositories import partner_facts, programs
from domain.intel.assess import Assessment, assess
from domain.intel.rubric import Rubric, program_rubric
from domain.intel.today import candidates, rank

TODAY_LIMIT = 50


async def signals(session: AsyncSession, partner_id: str, as_of: datetime) -> SignalsOut | None:
    facts = await partner_facts.load_one(session, partner_id)
    if facts is None:
        return None
    rubric = program_rubric(await programs.rubric_of_partner(session, partner_id))
    return to_out(assess(facts, as_of, rubric), rubric)


def to_out(a: Assessment, rubric: Rubric) -> SignalsOut:
    needed = [
        GapOut(signal=g.signal, value=g.value, min=g.min, action=action.action)
        for g, action in zip(a.tier.needed, a.needed_next, strict=True)
    ]
    tier = TierOut(
        tier=a.tier.tier,
        name=rubric.name(a.tier.tier),
        previous=a.tier.previous,
        move=a.tier.move,
        reasons=list(a.tier.reasons),
        next_tier=a.tier.next_tier,
        needed=needed,
        rubric=a.tier.rubric,
    )
    return SignalsOut(
        partner_id=a.partner_id,
        as_of=a.as_of,
        signals=[ScoreOut.model_validate(s) for s in a.signals],
        behavior=ScoreOut.model_validate(a.behavior),
        trust=ScoreOut.model_validate(a.trust) if a.trust.items else None,
        tier=tier,
        classification=ClassificationOut(label=a.classification.label, reasons=list(a.classification.reasons)),
        next_action=ActionOut.model_validate(a.next_action),
    )


async def cohort(session: AsyncSession, cohort_id: str, as_of: datetime) -> CohortIntelligenceOut | None:
    ids = await partner_facts.cohort_partner_ids(session, cohort_id)
    if ids is None:
        return None
    facts = await partner_facts.load_many(session, ids)
    rubric = program_rubric(await programs.rubric_of_cohort(session, cohort_id))
    judged = [(facts[pid], assess(facts[pid], as_of, rubric)) for pid in ids if pid in facts]
    summaries = [
        PartnerSummaryOut(
            partner_id=f.partner_id,
            name=f.name,
            values=a.values,
            tier=a.tier.tier,
            move=a.tier.move,
            classification=a.classification.label,
            reasons=list(a.classification.reasons),
            next_action=ActionOut.model_validate(a.next_action),
        )
        for f, a in judged
    ]
    today = rank((item for f, a in judged for item in candidates(f, a)), TODAY_LIMIT)
    return CohortIntelligenceOut(
        cohort_id=cohort_id,
        as_of=as_of,
        partners=summaries,
        today=[TodayItemOut.model_validate(i) for i in today],
    )
