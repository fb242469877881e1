"""A journey's experiment variant, recorded where its emails, pages and the cohort's report read it."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from temporalio import activity

from activities.family import ActivityFamily
from db.repositories import journeys, variants
from db.session import transaction


class VariantAssigned(BaseModel):
    journey_id: str
    cohort_id: str
    partner_id: str
    experiment: str
    variant: str
    stage: str
    step_key: str  # where the journey met the experiment first
    assigned_at: datetime


class ExperimentActivities(ActivityFamily):
    @activity.defn
    async def record_variant(self, assigned: VariantAssigned) -> None:
        """The assignment, and a timeline event whose `branch` the dry run lists (idempotent: keyed by both)."""
        async with transaction(self._sessions) as session:
            await variants.save(
                session,
                journey_id=assigned.journey_id,
                cohort_id=assigned.cohort_id,
                partner_id=assigned.partner_id,
                experiment=assigned.experiment,
                variant=assigned.variant,
                stage=assigned.stage,
                step_key=assigned.step_key,
                assigned_at=assigned.assigned_at,
            )
            data = {
                "experiment": assigned.experiment,
                "variant": assigned.variant,
                "branch": f"experiment {assigned.experiment}: variant {assigned.variant}",
            }
            event_id = f"{assigned.journey_id}/{assigned.experiment}/variant_assigned"
            await journeys.append_event(
                session,
                event_id,
                assigned.journey_id,
                "variant_assigned",
                assigned.stage,
                assigned.step_key,
                assigned.assigned_at,
                data,
            )

    def all(self) -> list:  # type: ignore[type-arg]
        return [self.record_variant]
