"""One partner, judged: facts -> behavior, readiness, trust -> four signals -> tier -> class -> actions.

Pure and deterministic: the same facts and `as_of` give the same assessment, so a tier review, the
API and a dry run can all recompute it. No clock is read; `as_of` is the moment judged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.intel import signals
from domain.intel.actions import Action, gap_action, next_best
from domain.intel.explain import Score
from domain.intel.facts import PartnerFacts
from domain.intel.rubric import Rubric, default_rubric
from tests.intel_oracle import behavior, readiness
from tests.intel_oracle.classify import Classification, State, classify, state
from tests.intel_oracle.tiers import TierDecision, decide


@dataclass(frozen=True, slots=True)
class Assessment:
    partner_id: str
    as_of: datetime
    behavior: Score
    trust: Score  # value 0 with no items while no AE has given feedback (trust is "not yet known")
    signals: tuple[Score, ...]  # gtm_readiness, proven_capability, early_traction, field_advocacy
    tier: TierDecision
    needed_next: tuple[Action, ...]  # the next tier's unmet criteria, as actions
    classification: Classification
    next_action: Action
    state: State

    def signal(self, name: str) -> Score:
        return next(s for s in (*self.signals, self.behavior, self.trust) if s.name == name)

    @property
    def values(self) -> dict[str, int]:
        return {s.name: s.value for s in (*self.signals, self.behavior)}


def assess(facts: PartnerFacts, as_of: datetime, rubric: Rubric | None = None) -> Assessment:
    rubric = rubric or default_rubric()
    best = readiness.best_answers(facts, as_of)
    trusted, trust_score = signals.trust_score(facts)
    four = (
        readiness.score(facts, as_of, best),
        signals.proven_capability(facts, best, as_of),
        signals.early_traction(facts, as_of),
        signals.field_advocacy(facts, trusted),
    )
    behaved = behavior.score(facts, as_of)
    values = {s.name: s.value for s in (*four, behaved)}
    tier = decide(rubric, values, facts.tier, facts.missed_reviews)
    needed = tuple(gap_action(g, facts, best) for g in tier.needed)
    st = state(facts, as_of)
    cls = classify(values, st)
    action = next_best(facts, best, st, cls, tier.needed, values["gtm_readiness"], as_of)
    return Assessment(facts.partner_id, as_of, behaved, trust_score, four, tier, needed, cls, action, st)
