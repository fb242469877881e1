"""The tier decision with hysteresis, and the unmet criteria for the next tier.

- A partner earns the best tier whose criteria it all meets; reaching a better tier than its
  current one promotes it at once (it can jump 3 -> 1).
- Missing the current tier does not demote at once: the partner keeps its tier unless it misses
  a criterion by `demotion_margin` points or more, or it has now missed its tier at
  `reviews_to_demote` reviews in a row (`PartnerFacts.missed_reviews` counts the earlier ones).
  A demotion goes to the tier the partner earns now.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from domain.intel.rubric import Criterion, Rubric


@dataclass(frozen=True, slots=True)
class Gap:
    signal: str
    value: int
    min: int

    @property
    def short(self) -> int:
        return self.min - self.value


@dataclass(frozen=True, slots=True)
class TierDecision:
    tier: int
    previous: int
    move: Literal["promoted", "demoted", "held", "kept"]  # held: missed its tier, kept by hysteresis
    reasons: tuple[str, ...]
    missed_reviews: int  # to store for the next review
    next_tier: int | None  # the tier to work towards (to keep, when held); None at tier 1
    needed: tuple[Gap, ...]  # its unmet criteria, biggest gap first
    rubric: str  # "default v1"


def gaps(criteria: tuple[Criterion, ...], signals: Mapping[str, int]) -> list[Gap]:
    found = [Gap(c.signal, signals[c.signal], c.min) for c in criteria if signals[c.signal] < c.min]
    return sorted(found, key=lambda g: (-g.short, g.signal))


def earned(rubric: Rubric, signals: Mapping[str, int]) -> int:
    for tier in (1, 2):
        if not gaps(rubric.rule(tier).criteria, signals):
            return tier
    return 3


def _met(rubric: Rubric, tier: int, signals: Mapping[str, int]) -> str:
    shown = ", ".join(f"{c.signal} {signals[c.signal]} >= {c.min}" for c in rubric.rule(tier).criteria)
    return f"meets every Tier {tier} {rubric.name(tier)} criterion ({shown})"


def _missed(rubric: Rubric, tier: int, found: list[Gap]) -> str:
    shown = ", ".join(f"{g.signal} {g.value} < {g.min}" for g in found)
    return f"misses Tier {tier} {rubric.name(tier)}: {shown}"


def decide(rubric: Rubric, signals: Mapping[str, int], current: int, missed_reviews: int = 0) -> TierDecision:
    now = earned(rubric, signals)
    h = rubric.hysteresis
    if now <= current:
        move: Literal["promoted", "demoted", "held", "kept"] = "promoted" if now < current else "kept"
        reasons = [_met(rubric, now, signals)] if now < 3 else []
        tier, missed = now, 0
    else:
        found = gaps(rubric.rule(current).criteria, signals)
        worst = found[0].short
        reasons = [_missed(rubric, current, found)]
        if worst >= h.demotion_margin:
            move, tier, missed = "demoted", now, 0
            reasons.append(f"{found[0].signal} is {worst} points short, at least the margin of {h.demotion_margin}")
        elif missed_reviews + 1 >= h.reviews_to_demote:
            move, tier, missed = "demoted", now, 0
            reasons.append(f"missed at {missed_reviews + 1} reviews in a row")
        else:
            move, tier, missed = "held", current, missed_reviews + 1
            reasons.append(
                f"keeps Tier {current}: {worst} point(s) short is within the margin of {h.demotion_margin}; "
                f"missing it at {h.reviews_to_demote - missed} more review(s) in a row demotes"
            )
    # Held: the work is to keep the current tier; otherwise to earn the one above.
    nxt = current if move == "held" else tier - 1 if tier > 1 else None
    needed = tuple(gaps(rubric.rule(nxt).criteria, signals)) if nxt else ()
    return TierDecision(tier, current, move, tuple(reasons), missed, nxt, needed, f"{rubric.id} v{rubric.version}")
