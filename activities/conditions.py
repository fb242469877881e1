"""Conditions on plays and steps: read the facts a condition may use and evaluate it on them.

An activity, so the facts (and the outcome) are in the journey's history: replay never reads the
database again, and a later upload that creates overlap cannot change a decision already taken.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.condition_inputs import ConditionCheck, ConditionOutcome, GateCheck, GateSignals
from activities.family import ActivityFamily
from db.models import Partner, utcnow
from db.repositories import accounts, journeys, partner_facts
from db.session import transaction
from domain.intel.assess import assess
from playbooks.conditions import SCORED, evaluate, roots_read


async def condition_facts(
    session: AsyncSession, journey_id: str, partner_id: str, scored: bool = False, as_of: datetime | None = None
) -> dict[str, Any]:
    """`scored`: also the partner's deals and signals (its whole record, scored), only when a condition reads them."""
    partner = await session.get(Partner, partner_id)
    if partner is None:
        raise ApplicationError(f"partner {partner_id} not found", type="NotFound", non_retryable=True)
    overlap = await accounts.partner_overlap(session, partner_id)
    facts: dict[str, Any] = {
        "partner": {
            "type": partner.type,
            "verticals": list(partner.verticals),
            "region": partner.region,
            "tier": partner.tier,
            "country": partner.country or "",
            "classification": partner.classification or "",
        },
        "answers": await journeys.submissions(session, journey_id),
        "overlap": {"count": len(overlap), "segments": sorted({row.segment for row in overlap if row.segment})},
    }
    if scored:
        record = await partner_facts.load_one(session, partner_id)
        if record is None:
            raise ApplicationError(f"partner {partner_id} not found", type="NotFound", non_retryable=True)
        a = assess(record, as_of or utcnow())
        stages = [d.stage for d in record.deals]
        facts["deals"] = {
            "registered": sum(1 for s in stages if s != "rejected"),
            "accepted": sum(1 for s in stages if s in ACCEPTED),
            "won": stages.count("closed_won"),
        }
        facts["signals"] = {**a.values, "trust": a.trust.value}
    return facts


ACCEPTED = ("accepted", "open", "closed_won", "closed_lost")  # our field took the deal on


class ConditionActivities(ActivityFamily):
    @activity.defn
    async def evaluate_conditions(self, check: ConditionCheck) -> ConditionOutcome:
        async with transaction(self._sessions) as session:
            scored = bool(roots_read(check.expressions) & set(SCORED))
            facts = await condition_facts(session, check.journey_id, check.partner_id, scored, check.as_of)
        return ConditionOutcome(facts=facts, results=[evaluate(e, facts) for e in check.expressions])

    @activity.defn
    async def gate_signals(self, check: GateCheck) -> GateSignals:
        """The partner's signals and behavior at the gate, scored from its recorded facts."""
        async with transaction(self._sessions) as session:
            facts = await partner_facts.load_one(session, check.partner_id)
        if facts is None:
            raise ApplicationError(f"partner {check.partner_id} not found", type="NotFound", non_retryable=True)
        advocates = {f.ae_id for f in facts.feedback if f.invite_again}
        return GateSignals(values=assess(facts, check.as_of).values, advocates=len(advocates))

    def all(self) -> list:  # type: ignore[type-arg]
        return [self.evaluate_conditions, self.gate_signals]
