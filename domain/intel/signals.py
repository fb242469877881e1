"""The four signals that predict partner success (DOMAIN.md), each 0-100 with its explanation.

- **GTM readiness**: the readiness score (`readiness.py`).
- **Proven capability**: the best use case and the best proof point, 35 points each at their
  rubric share; until the PM approves one it counts half (a PM grade counts grade / 100, a
  send-back 0); plus 15 per won co-sell deal (at most 30): delivered, not only described.
- **Early co-sell traction**: each deal counted once at its furthest stage: won 30 (at most 60),
  accepted or open 12 (at most 24), registered or lost 8 (at most 16: registration alone is not
  impact), rejected 0; intros an AE accepted 8 each (at most 16).
- **Field advocacy** (the strongest): 0.6 x the trust score (`domain.trust`, AE feedback) plus 20
  per distinct AE who would invite the partner again (at most 40). No AE feedback yet: 0.
"""

from __future__ import annotations

from datetime import datetime

from domain import trust
from domain.intel.explain import Item, Score, day, total
from domain.intel.facts import AnswerKind, PartnerFacts
from domain.intel.readiness import LABEL, Judged

CAPABILITY_POINTS = 35
UNREVIEWED = 0.5
WON_CAPABILITY, WON_CAPABILITY_CAP = 15, 30
DEAL_POINTS = {"closed_won": (30, 60), "accepted": (12, 24), "open": (12, 24), "registered": (8, 16)}
DEAL_POINTS["closed_lost"] = DEAL_POINTS["registered"]
INTRO_ACCEPTED, INTRO_CAP = 8, 16
TRUST_SHARE, ADVOCATE, ADVOCATE_CAP = 0.6, 20, 40
SIGNALS = ("gtm_readiness", "proven_capability", "early_traction", "field_advocacy")


def _capability_item(kind: AnswerKind, j: Judged | None) -> Item:
    label = LABEL[kind]
    if j is None:
        return Item(0, f"no {label} yet: write one with a customer and a measured outcome", "rubric")
    sub, review = j.submission, j.submission.review
    src = f"step {sub.step_key}"
    if review.state == "sent_back":
        return Item(0, f"{label} sent back by the PM: {review.comment or 'revise it'}", src, review.at)
    if review.grade is not None:
        why = f"{label} graded {review.grade}/100 by the PM"
        return Item(round(CAPABILITY_POINTS * review.grade / 100, 2), why, src, review.at)
    if review.state == "approved":
        return Item(CAPABILITY_POINTS, f"{label} approved by the PM on {day(review.at)}", src, review.at)
    missing = "; ".join(r.fix for r in j.missed)
    why = f"{label} meets {len(j.met)} of {len(j.met) + len(j.missed)} rules, counted half until the PM approves it"
    return Item(
        round(CAPABILITY_POINTS * j.ratio * UNREVIEWED, 2),
        why + (f" ({missing})" if missing else ""),
        src,
        sub.submitted_at,
    )


def proven_capability(facts: PartnerFacts, best: dict[AnswerKind, Judged], as_of: datetime) -> Score:
    items = [_capability_item(k, best.get(k)) for k in (AnswerKind.use_case, AnswerKind.proof_point)]
    won = [d for d in facts.deals if d.stage == "closed_won" and (d.closed_at or d.updated_at) <= as_of]
    for n, d in enumerate(won):
        points = WON_CAPABILITY if (n + 1) * WON_CAPABILITY <= WON_CAPABILITY_CAP else 0
        items.append(
            Item(points, f"delivered in a won co-sell deal on {d.account_name}", f"deal {d.deal_id}", d.closed_at)
        )
    return total("proven_capability", items)


def early_traction(facts: PartnerFacts, as_of: datetime) -> Score:
    items, used = [], {"closed_won": 0, "accepted": 0, "registered": 0}
    for d in sorted(facts.deals, key=lambda d: (d.registered_at, d.deal_id)):
        if d.registered_at > as_of or d.stage == "rejected":
            continue
        each, cap = DEAL_POINTS[d.stage]
        bucket = {"open": "accepted", "closed_lost": "registered"}.get(d.stage, d.stage)
        points = min(each, cap - used[bucket])
        used[bucket] += points
        stage = d.stage.replace("_", " ")
        items.append(Item(points, f"co-sell deal on {d.account_name}: {stage}", f"deal {d.deal_id}", d.registered_at))
    accepted = [i for i in facts.intros if i.status == "accepted" and i.answered_at and i.answered_at <= as_of]
    for n, i in enumerate(accepted):
        points = INTRO_ACCEPTED if (n + 1) * INTRO_ACCEPTED <= INTRO_CAP else 0
        why = f"{i.ae_name or i.ae_id} accepted an intro on {i.account_name}"
        items.append(Item(points, why, f"intro {i.intro_id}", i.answered_at))
    if not items:
        items.append(Item(0, "no co-sell deal or accepted intro yet", "rubric"))
    return total("early_traction", items)


def trust_score(facts: PartnerFacts) -> tuple[trust.TrustScore, Score]:
    """The existing trust score (domain.trust), and the same explanation as Items."""
    answers = [
        trust.IntroAnswer(i.intro_id, i.ae_id, i.status, i.account_name)
        for i in facts.intros
        if i.status in ("accepted", "declined", "not_now")
    ]
    result = trust.score(facts.feedback, answers)
    items = tuple(
        Item(float(s["points"]), str(s["detail"]), str(s["source"]) + (f" {s['deal_id']}" if "deal_id" in s else ""))
        for s in result.signals
    )
    return result, Score("trust", result.score or 0, items if result.score is not None else ())


def field_advocacy(facts: PartnerFacts, trusted: trust.TrustScore) -> Score:
    if trusted.score is None:
        return Score(
            "field_advocacy", 0, (Item(0, "no AE feedback yet: no AE has worked a deal with this partner", "trust"),)
        )
    forms = len(facts.feedback)
    items = [
        Item(
            round(TRUST_SHARE * trusted.score, 2),
            f"trust {trusted.score} from {forms} AE feedback form(s), x {TRUST_SHARE}",
            "trust",
        )
    ]
    seen: set[str] = set()
    for f in sorted(facts.feedback, key=lambda f: (f.submitted_at or datetime.min, f.ae_id)):
        if not f.invite_again or f.ae_id in seen:
            continue
        seen.add(f.ae_id)
        points = ADVOCATE if len(seen) * ADVOCATE <= ADVOCATE_CAP else 0
        about = f" after {f.account_name}" if f.account_name else ""
        items.append(
            Item(
                points,
                f"{f.ae_name or f.ae_id} would invite them again{about}",
                f"feedback {f.deal_id}",
                f.submitted_at,
            )
        )
    return total("field_advocacy", items)
