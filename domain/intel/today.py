"""The PM's "act today" list: everything that needs a person, ranked by impact x urgency.

| kind            | impact | SLA days | what waits                                            |
| --------------- | ------ | -------- | ----------------------------------------------------- |
| gate_hold       |   5    |    2     | a journey held at a gate until the PM decides         |
| intro_waiting   |   4    |    3     | a partner's intro request no AE has answered          |
| flagged_deal    |   4    |    2     | a registration in conflict with another               |
| not_yet_intro   |   4    |   14     | a "not yet" partner with overlapping accounts         |
| review_waiting  |   3    |    2     | a submitted answer waiting for the PM's review        |
| feedback_expired|   3    |    7     | an AE's feedback form that expired unanswered         |
| stalled_partner |   3    |    7     | a partner at risk / not yet with nothing for 7+ days  |

impact = the kind's impact + 2 for a Tier 1 partner, + 1 for Tier 2 (investment follows tier).
urgency = 1 + days waiting // SLA days, at most 5. rank = impact x urgency; ties go to what has
waited longest, then to the partner id (a stable order). So within one kind and tier an item that has
waited longer never ranks lower: the dashboard (db/views/today.py) reads only the longest-waiting items of
each kind and tier from SQL and ranks them here.

Each kind has one builder below, used by `candidates` (a partner's facts, rescored) and by the dashboard's
Today (stored rows and the last tier review's classification), so both word and rank an item alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.intel.assess import Assessment
from domain.intel.facts import PartnerFacts

DAY = timedelta(days=1)
KINDS = {
    "gate_hold": (5, 2),
    "intro_waiting": (4, 3),
    "flagged_deal": (4, 2),
    "not_yet_intro": (4, 14),
    "review_waiting": (3, 2),
    "feedback_expired": (3, 7),
    "stalled_partner": (3, 7),
}


@dataclass(frozen=True, slots=True)
class TodayItem:
    kind: str
    partner_id: str
    partner_name: str
    reason: str
    action: str
    link: str
    since: datetime
    impact: int
    urgency: int

    @property
    def rank(self) -> int:
        return self.impact * self.urgency


@dataclass(frozen=True, slots=True)
class Who:
    """The partner an item is about; the tier raises its impact."""

    partner_id: str
    name: str
    tier: int

    @classmethod
    def of(cls, facts: PartnerFacts) -> Who:
        return cls(facts.partner_id, facts.name, facts.tier)


def item(kind: str, who: Who, reason: str, action: str, since: datetime, as_of: datetime) -> TodayItem:
    impact, sla = KINDS[kind]
    urgency = min(5, 1 + max((as_of - since) // DAY, 0) // sla)
    tier = who.tier if who.tier in (1, 2, 3) else 3
    link = f"/api/v1/partners/{who.partner_id}"
    return TodayItem(kind, who.partner_id, who.name, reason, action, link, since, impact + 3 - tier, urgency)


def gate_hold(who: Who, reason: str, since: datetime, as_of: datetime) -> TodayItem:
    return item("gate_hold", who, reason, "Decide the gate: advance, extend or exit", since, as_of)


def intro_waiting(who: Who, ae: str, account: str, since: datetime, as_of: datetime) -> TodayItem:
    return item("intro_waiting", who, f"{ae} has not answered the intro on {account}", f"Nudge {ae}", since, as_of)


def flagged_deal(who: Who, account: str, since: datetime, as_of: datetime) -> TodayItem:
    why = f"the registration on {account} conflicts with another"
    return item("flagged_deal", who, why, "Resolve the conflict", since, as_of)


def feedback_expired(who: Who, ae: str, deal_id: str, since: datetime, as_of: datetime) -> TodayItem:
    why = f"{ae} never answered the feedback form for deal {deal_id}"
    return item("feedback_expired", who, why, "Ask the AE in person", since, as_of)


def review_waiting(who: Who, title: str, since: datetime, as_of: datetime) -> TodayItem:
    return item("review_waiting", who, f"'{title}' waits for your review", "Approve it or send it back", since, as_of)


@dataclass(frozen=True, slots=True)
class Classified:
    """What the classification-based kinds read: the label and its reasons, the next best action, whether
    the partner's accounts overlap the vendor's, and the days since the partner last acted."""

    label: str
    reasons: tuple[str, ...]
    action: str
    overlapping: bool
    idle_days: int


def classified(who: Who, c: Classified, as_of: datetime) -> TodayItem | None:
    """A "not yet" partner with overlapping accounts, else an at-risk or not-yet one idle for 7+ days."""
    since = as_of - c.idle_days * DAY
    if c.label == "not_yet" and c.overlapping:
        return item("not_yet_intro", who, f"not yet: {'; '.join(c.reasons)}", c.action, since, as_of)
    if c.label in ("at_risk", "not_yet") and c.idle_days >= 7:
        why = f"{c.label.replace('_', ' ')}: {'; '.join(c.reasons)}"
        return item("stalled_partner", who, why, c.action, since, as_of)
    return None


def _gate_holds(facts: PartnerFacts, as_of: datetime) -> list[TodayItem]:
    open_holds = {}
    for e in sorted(facts.events, key=lambda e: e.occurred_at):
        if e.kind == "gate_held":
            open_holds[e.journey_id] = e
        elif e.kind == "gate_decided":
            open_holds.pop(e.journey_id, None)
    who = Who.of(facts)
    return [
        gate_hold(who, str(e.data.get("reason", "held at a gate")), e.occurred_at, as_of) for e in open_holds.values()
    ]


def candidates(facts: PartnerFacts, a: Assessment) -> list[TodayItem]:
    """Everything about one partner that needs the PM today."""
    as_of, who = a.as_of, Who.of(facts)
    out = _gate_holds(facts, as_of)
    for i in facts.intros:
        if i.status in ("sent", "escalated"):
            out.append(intro_waiting(who, i.ae_name or i.ae_id, i.account_name, i.requested_at, as_of))
    for d in facts.deals:
        if d.conflict == "flagged":
            out.append(flagged_deal(who, d.account_name, d.registered_at, as_of))
    for f in facts.feedback_asks:
        if f.status == "expired":
            out.append(feedback_expired(who, f.ae_name or f.ae_id, f.deal_id, f.expires_at, as_of))
    for s in facts.submissions:
        if s.answer_kinds and s.review.state == "pending":
            out.append(review_waiting(who, s.title, s.submitted_at, as_of))
    cls = a.classification
    judged = Classified(cls.label, cls.reasons, a.next_action.action, bool(facts.overlapping), a.state.idle_days)
    by_class = classified(who, judged, as_of)
    return out + ([by_class] if by_class else [])


def order(i: TodayItem) -> tuple[int, datetime, str, str]:
    """The list's order: highest rank first, then what has waited longest, then by partner and kind."""
    return (-i.rank, i.since, i.partner_id, i.kind)


def rank(items: Iterable[TodayItem], limit: int | None = None) -> list[TodayItem]:
    ordered = sorted(items, key=order)
    return ordered[:limit] if limit is not None else ordered
