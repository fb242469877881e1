"""A partner's signals, tier, class and next action, recomputed from its recorded facts on each read."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from api.intel.schemas import ActionOut, ClassificationOut, GapOut, ScoreOut, SignalsOut, TierOut
from db.repositories import partner_facts
from domain.intel.assess import Assessment, assess
from domain.intel.rubric import default_rubric


async def signals(session: AsyncSession, partner_id: str, as_of: datetime) -> SignalsOut | None:
    facts = await partner_facts.load_one(session, partner_id)
    if facts is None:
        return None
    return to_out(assess(facts, as_of, default_rubric()))


def to_out(a: Assessment) -> SignalsOut:
    rubric = default_rubric()
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
