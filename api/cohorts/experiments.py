"""A cohort's experiment results as the API answers them (GET /api/v1/cohorts/{id}/experiments)."""

from __future__ import annotations

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from api.cohorts import service
from db.views import experiments as views


class Count(BaseModel):
    n: int = Field(description="how many met the outcome")
    of: int = Field(description="how many could have")


class VariantOut(BaseModel):
    variant: str
    partners: int = Field(description="partners given this variant")
    steps_on_time: Count = Field(description="steps invited since the assignment, completed by their due date")
    intros_accepted: Count = Field(description="intro requests made since the assignment, accepted by the AE")
    deals_registered: Count = Field(description="partners with a deal registered since the assignment")
    median_days_to_first_deal: float | None = Field(
        description="median days from assignment to first deal, over deals_registered.n partners"
    )


class ExperimentOut(BaseModel):
    key: str
    variants: list[VariantOut]


class CohortExperiments(BaseModel):
    cohort_id: str
    experiments: list[ExperimentOut]


def _count(ratio: views.Ratio) -> Count:
    return Count(n=ratio.n, of=ratio.of)


async def results(session: AsyncSession, cohort_id: str) -> CohortExperiments:
    await service.get(session, cohort_id)  # 404 for an unknown cohort
    found = await views.cohort_experiments(session, cohort_id)
    return CohortExperiments(
        cohort_id=cohort_id,
        experiments=[
            ExperimentOut(
                key=e.key,
                variants=[
                    VariantOut(
                        variant=v.variant,
                        partners=v.partners,
                        steps_on_time=_count(v.on_time),
                        intros_accepted=_count(v.intros_accepted),
                        deals_registered=_count(v.deals),
                        median_days_to_first_deal=v.median_days_to_first_deal,
                    )
                    for v in e.variants
                ],
            )
            for e in found
        ],
    )
