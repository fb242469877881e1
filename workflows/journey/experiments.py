"""Experiments: the first time a journey meets an experiment (a step's or a play's `experiment:`), it draws
one of its variants by weight with workflow.random() (the same on replay), keeps it in its state and its
carry across continue-as-new (the next stage's run draws with another seed), and records it for emails,
pages and the cohort's report. A step's variant changes its content; a play's, which of its steps run.

A mixin of PartnerJourneyWorkflow. Journeys begun before experiments never met one (their playbooks had
none); the patch marker records which code ran one.
"""

from __future__ import annotations

from temporalio import workflow

from workflows.journey.effects import JourneyEffects

with workflow.unsafe.imports_passed_through():
    from activities.experiments import ExperimentActivities, VariantAssigned
    from playbooks.experiments import Experiment, Variant, applied, pick
    from playbooks.model import Play, Step
    from workflows.policies import DB_TIMEOUT, DB_WRITE

EXPERIMENTS = "experiments"


class JourneyExperiments(JourneyEffects):
    _variants: dict[str, str]  # experiment key -> the variant this journey was given
    _skipped: list[str]

    async def _in_variants(self, play: Play, steps: list[Step]) -> list[Step]:
        """`steps` of `play` as this journey's variants have them: overridden, or left out (skipped)."""
        if not (play.experiment or any(s.experiment for s in steps)) or not workflow.patched(EXPERIMENTS):
            return steps
        kept = []
        for step in steps:
            if play.experiment:
                variant = await self._variant(play.experiment, step)
                if variant.steps is not None and step.key not in variant.steps:
                    self._skipped.append(step.key)
                    reason = f"experiment {play.experiment.key}: variant {variant.name} leaves it out"
                    await self._project("step_skipped", step_key=step.key, data={"reason": reason})
                    continue
            if step.experiment:
                step = applied(step, await self._variant(step.experiment, step))
            kept.append(step)
        return kept

    async def _variant(self, experiment: Experiment, step: Step) -> Variant:
        """The journey's variant of `experiment`: drawn and recorded once, then kept."""
        if (kept := experiment.variant(self._variants.get(experiment.key, ""))) is not None:
            return kept
        # A migration to a playbook version without the variant kept also draws again.
        variant = pick(experiment, workflow.random().random())
        self._variants[experiment.key] = variant.name
        assert self._inp
        assigned = VariantAssigned(
            journey_id=self._jid(),
            cohort_id=self._inp.cohort_id,
            partner_id=self._inp.partner_id,
            experiment=experiment.key,
            variant=variant.name,
            stage=self._stage,
            step_key=step.key,
            assigned_at=workflow.now(),
        )
        await workflow.execute_activity_method(
            ExperimentActivities.record_variant, assigned, start_to_close_timeout=DB_TIMEOUT, retry_policy=DB_WRITE
        )
        return variant
