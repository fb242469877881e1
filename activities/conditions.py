"""Conditions on plays and steps: read the facts a condition may use and evaluate it on them.

An activity, so the facts (and the outcome) are in the journey's history: replay never reads the
database again, and a later upload that creates overlap cannot change a decision already taken.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.condition_inputs import ConditionCheck, ConditionOutcome, GateCheck, GateSignals
from activities.family import ActivityFamily
from db.models import Partner
from db.repositories import accounts, journeys, partner_facts
from db.session import transaction
from domain.intel.assess import assess
from playbooks.conditions import evaluate


async def condition_facts(session: AsyncSession, journey_id: str, partner_id: str) -> dict[str, Any]:
    partner = await session.get(Partner, partner_id)
    if partner is None:
        raise ApplicationError(f"partner {partner_id} not found", type="NotFound", non_retryable=True)
    return {
        "partner": {
            "type": partner.type,
            "verticals": list(partner.verticals),
            "region": partner.region,
            "tier": partner.tier,
            "country": partner.country or "",
        },
        "answers": await journeys.submissions(session, journey_id),
        "overlap": {"count": len(await accounts.partner_overlap(session, partner_id))},
    }


class ConditionActivities(ActivityFamily):
    @activity.defn
    async def evaluate_conditions(self, check: ConditionCheck) -> ConditionOutcome:
        async with transaction(self._sessions) as session:
            facts = await condition_facts(session, check.journey_id, check.partner_id)
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
