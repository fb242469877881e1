"""A score and the facts that produced it: the value is always the rounded sum of its items' points."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple


class Item(NamedTuple):
    """Immutable like the rest; a named tuple because a partner has dozens and they build 3x faster."""

    points: float  # already on the score's 0-100 scale: the items add up to the score
    reason: str  # phrased for a PM, actionable for the partner where it can be
    source: str  # the fact it came from: "step icp-profile", "deal d-7", "intro i-3", "trust"
    at: datetime | None = None  # when that fact happened


@dataclass(frozen=True, slots=True)
class Score:
    name: str
    value: int
    items: tuple[Item, ...] = field(default_factory=tuple)


def total(name: str, items: list[Item], ceiling: float = 100.0) -> Score:
    """Sum items into a 0-100 score; an explicit clamp item keeps the sum equal to the value."""
    raw = sum(i.points for i in items)
    if raw >= ceiling + 0.5:  # below that, rounding the items' points still adds up to the value
        items.append(Item(round(ceiling - raw, 2), f"capped at {ceiling:g}", "rule"))
    elif raw <= -0.5:
        items.append(Item(round(-raw, 2), "kept at 0", "rule"))
    return Score(name, round(min(max(raw, 0.0), ceiling)), tuple(items))


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day(moment: datetime | None) -> str:
    """ "14 Mar": strftime is ten times slower, and explanations print many dates."""
    return f"{moment.day} {MONTHS[moment.month - 1]}" if moment else ""
