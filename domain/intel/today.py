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
waited longest, then to the partner id (a stable order).
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


def item(kind: str, facts: PartnerFacts, reason: str, action: str, since: datetime, as_of: datetime) -> TodayItem:
    impact, sla = KINDS[kind]
    urgency = min(5, 1 + max((as_of - since) // DAY, 0) // sla)
    link = f"/api/v1/partners/{facts.partner_id}"
    return TodayItem(kind, facts.partner_id, facts.name, reason, action, link, since, impact + 3 - facts.tier, urgency)


def _gate_holds(facts: PartnerFacts, as_of: datetime) -> list[TodayItem]:
    out, open_holds = [], {}
    for e in sorted(facts.events, key=lambda e: e.occurred_at):
        if e.kind == "gate_held":
            open_holds[e.journey_id] = e
        elif e.kind == "gate_decided":
            open_holds.pop(e.journey_id, None)
    for e in open_holds.values():
        reason = str(e.data.get("reason", "held at a gate"))
        out.append(item("gate_hold", facts, reason, "Decide the gate: advance, extend or exit", e.occurred_at, as_of))
    return out


def candidates(facts: PartnerFacts, a: Assessment) -> list[TodayItem]:
    """Everything about one partner that needs the PM today."""
    as_of = a.as_of
    out = _gate_holds(facts, as_of)
    for i in facts.intros:
        if i.status in ("sent", "escalated"):
            why = f"{i.ae_name or i.ae_id} has not answered the intro on {i.account_name}"
            out.append(item("intro_waiting", facts, why, f"Nudge {i.ae_name or i.ae_id}", i.requested_at, as_of))
    for d in facts.deals:
        if d.conflict == "flagged":
            why = f"the registration on {d.account_name} conflicts with another"
            out.append(item("flagged_deal", facts, why, "Resolve the conflict", d.registered_at, as_of))
    for f in facts.feedback_asks:
        if f.status == "expired":
            why = f"{f.ae_name or f.ae_id} never answered the feedback form for deal {f.deal_id}"
            out.append(item("feedback_expired", facts, why, "Ask the AE in person", f.expires_at, as_of))
    for s in facts.submissions:
        if s.answer_kinds and s.review.state == "pending":
            why = f"'{s.title}' waits for your review"
            out.append(item("review_waiting", facts, why, "Approve it or send it back", s.submitted_at, as_of))
    label = a.classification.label
    if label == "not_yet" and facts.overlapping:
        why = f"not yet: {'; '.join(a.classification.reasons)}"
        since = as_of - a.state.idle_days * DAY
        out.append(item("not_yet_intro", facts, why, a.next_action.action, since, as_of))
    elif label in ("at_risk", "not_yet") and a.state.idle_days >= 7:
        why = f"{label.replace('_', ' ')}: {'; '.join(a.classification.reasons)}"
        out.append(item("stalled_partner", facts, why, a.next_action.action, as_of - a.state.idle_days * DAY, as_of))
    return out


def rank(items: Iterable[TodayItem], limit: int | None = None) -> list[TodayItem]:
    ordered = sorted(items, key=lambda i: (-i.rank, i.since, i.partner_id, i.kind))
    return ordered[:limit] if limit is not None else ordered
