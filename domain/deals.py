"""Co-sell deal rules: stages and the moves between them, attribution and whose word counts, the
conflict key. Pure: the API, the CRM import and the journey activity all apply the same rules.

Stages follow how a registration meets a CRM: the vendor reviews a registration (accepted or
rejected), works it as an open opportunity, and closes it won or lost. An accepted registration may
close without ever being seen "open" here, because CRMs often create and close small or fast deals
between two exports; the PM (or a CRM import) can therefore close an accepted deal directly. Closed
and rejected deals are final: a deal that comes back is a new registration.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from domain.accounts import name_key, normalize_domain


class Stage(StrEnum):
    registered = "registered"
    accepted = "accepted"
    rejected = "rejected"
    open = "open"
    closed_won = "closed_won"
    closed_lost = "closed_lost"


class Role(StrEnum):
    """What the partner says it did, at registration."""

    sourced = "sourced"
    influenced = "influenced"
    accelerated = "accelerated"


class Attribution(StrEnum):
    sourced = "sourced"
    influenced = "influenced"
    accelerated = "accelerated"
    none = "none"


class SaidBy(StrEnum):
    partner = "partner"
    ae = "ae"
    pm = "pm"
    crm = "crm"


MOVES: dict[Stage, frozenset[Stage]] = {
    Stage.registered: frozenset({Stage.accepted, Stage.rejected}),
    # A conflict resolved in another partner's favour can still reject an accepted registration.
    Stage.accepted: frozenset({Stage.open, Stage.closed_won, Stage.closed_lost, Stage.rejected}),
    Stage.open: frozenset({Stage.closed_won, Stage.closed_lost}),
    Stage.rejected: frozenset(),
    Stage.closed_won: frozenset(),
    Stage.closed_lost: frozenset(),
}
CLOSED = frozenset({Stage.closed_won, Stage.closed_lost})
# Deals that still claim their account: a second partner registering it is a conflict.
ACTIVE = frozenset({Stage.registered, Stage.accepted, Stage.open})
# Every stage past the vendor's acceptance (CRM-born deals start here: the vendor created them).
ACCEPTED_OR_LATER = frozenset({Stage.accepted, Stage.open, Stage.closed_won, Stage.closed_lost})
# Whose word about the partner's contribution wins: the PM decides, the AE saw the deal, the CRM
# records what sellers typed, the partner speaks for itself.
PRECEDENCE: tuple[SaidBy, ...] = (SaidBy.pm, SaidBy.ae, SaidBy.crm, SaidBy.partner)


class IllegalMove(ValueError):
    def __init__(self, current: Stage, wanted: Stage):
        self.current, self.wanted = current, wanted
        allowed = ", ".join(sorted(MOVES[current])) or "none (the deal is final)"
        super().__init__(f"a deal cannot move from {current} to {wanted}; from {current} it can move to: {allowed}")

    @property
    def allowed(self) -> list[str]:
        return sorted(MOVES[self.current])


def check_move(current: Stage | str, wanted: Stage | str) -> None:
    """A direct move, as the PM makes it. Staying put is not a move and always allowed."""
    current, wanted = Stage(current), Stage(wanted)
    if current != wanted and wanted not in MOVES[current]:
        raise IllegalMove(current, wanted)


def path(current: Stage | str, wanted: Stage | str) -> list[Stage]:
    """The stages a deal passes through to get from `current` to `wanted`, as a CRM reports it
    (registered -> open implies the vendor accepted it). Empty when it stays; IllegalMove if backwards."""
    current, wanted = Stage(current), Stage(wanted)
    if current == wanted:
        return []
    if wanted in MOVES[current]:
        return [wanted]
    for middle in sorted(MOVES[current] - {Stage.rejected}):
        if wanted in MOVES[middle]:
            return [middle, wanted]
    raise IllegalMove(current, wanted)


def account_key(name: str, domain: str | None = None) -> str:
    """The account's identity for conflicts: its web domain when anyone knows it, else its normalized name."""
    normalized = normalize_domain(domain) if domain else None
    return f"domain:{normalized}" if normalized else f"name:{name_key(name)}"


def current_attribution(said: list[tuple[str, str]]) -> tuple[str, str] | None:
    """(said_by, attribution) pairs, oldest first -> the one that counts: highest precedence, latest said."""
    best: tuple[str, str] | None = None
    for said_by, attribution in said:
        if best is None or PRECEDENCE.index(SaidBy(said_by)) <= PRECEDENCE.index(SaidBy(best[0])):
            best = (said_by, attribution)
    return best


def whole(amount: Decimal | None) -> int | None:
    """Amounts are stored in whole currency units, half up (125000.50 -> 125001)."""
    return None if amount is None else int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))
