"""Which plays of a playbook a given partner gets, and the readiness score of completed steps. Pure."""

from __future__ import annotations

from playbooks.model import Gate, Play, Playbook, Stage, Step


def applies(play: Play, partner_type: str, verticals: list[str], tier: int) -> bool:
    rule = play.applies_to
    if rule.partner_types and partner_type not in rule.partner_types:
        return False
    if rule.verticals and not set(rule.verticals) & set(verticals):
        return False
    return not rule.tiers or tier in rule.tiers


def stage_steps(stage: Stage, partner_type: str, verticals: list[str], tier: int) -> list[tuple[Play, Step]]:
    return [(play, step) for play in stage.plays if applies(play, partner_type, verticals, tier) for step in play.steps]


def readiness(playbook: Playbook, completed: list[str]) -> tuple[int, dict[str, int]]:
    """Readiness = the signal points of completed steps, capped at 100, with the per-signal breakdown."""
    points: dict[str, int] = {}
    for key in completed:
        for signal, value in playbook.step(key).signals.items():
            points[signal.value] = points.get(signal.value, 0) + value
    return min(100, sum(points.values())), points


SIGNAL_LABEL = {
    "gtm_readiness": "GTM readiness",
    "proven_capability": "proven capability",
    "early_traction": "early co-sell traction",
    "field_advocacy": "field advocacy",
    "behavior": "behavior",
}


def signal_shortfalls(gate: Gate, title: str, values: dict[str, int], advocates: int) -> list[str]:
    """Why a gate's signal requirements are not met (none: they are), in the words the PM reads."""
    missed = [
        f"{SIGNAL_LABEL[name]} {values.get(name, 0)} is below the {title} gate of {least}"
        for name, least in gate.min_signals.items()
        if values.get(name, 0) < least
    ]
    if advocates < gate.min_advocates:
        missed.append(f"{advocates} AE(s) would invite them again; the {title} gate needs {gate.min_advocates}")
    return missed
