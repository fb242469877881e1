"""What a partner misses for a stage's gate: readiness points, and on gates that ask for them, signals.

Signals are scored in an activity, so the scores the gate judged are in the journey's history and a
replay never rescores. Journeys begun before gates could ask for signals do not score them (patch
"signal-gates"); their playbooks could not hold such a gate anyway.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.condition_inputs import GateCheck
    from activities.conditions import ConditionActivities
    from playbooks.model import Stage
    from playbooks.plan import signal_shortfalls
    from workflows.policies import DB_TIMEOUT, DB_WRITE


async def gate_shortfalls(stage: Stage, detail: dict[str, Any], partner_id: str) -> list[str]:
    """Each requirement of the gate the partner misses, as the PM reads it; adds the scores to `detail`."""
    gate, score = stage.gate, detail["readiness"]
    missed = []
    if score < gate.min_readiness:
        missed.append(f"readiness {score} is below the {stage.title} gate of {gate.min_readiness}")
    if gate.requires_signals and workflow.patched("signal-gates"):
        scored = await workflow.execute_activity_method(
            ConditionActivities.gate_signals,
            GateCheck(partner_id=partner_id, as_of=workflow.now()),
            start_to_close_timeout=DB_TIMEOUT,
            retry_policy=DB_WRITE,
        )
        detail.update(signals=scored.values, advocates=scored.advocates)
        detail.update(required_signals=dict(gate.min_signals), required_advocates=gate.min_advocates)
        missed += signal_shortfalls(gate, stage.title, scored.values, scored.advocates)
    return missed
