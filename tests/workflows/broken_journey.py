"""A deliberately breaking change to the journey, for the replay test. Kept free of other imports
because the workflow sandbox re-imports the module that defines a workflow."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.journey.messages import JourneyInput, JourneyProgress
    from workflows.journey.workflow import PartnerJourneyWorkflow


@workflow.defn(name="PartnerJourneyWorkflow")
class BrokenJourney(PartnerJourneyWorkflow):
    """The current journey with one unversioned extra activity up front."""

    @workflow.run
    async def run(self, inp: JourneyInput) -> JourneyProgress:
        await workflow.execute_activity("log_to_crm", inp.partner_id, start_to_close_timeout=timedelta(seconds=5))
        return await super().run(inp)


@workflow.defn(name="PartnerJourneyWorkflow")
class UnpatchedJourney(PartnerJourneyWorkflow):
    """The current journey as if its patches were deleted: every patched() branch taken unconditionally."""

    def patched(self, patch_id: str) -> bool:
        return True

    @workflow.run
    async def run(self, inp: JourneyInput) -> JourneyProgress:
        return await super().run(inp)
