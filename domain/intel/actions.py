"""What to do next: the next best action for a partner, and the next tier's gaps phrased as actions.

Next best action, first that applies (a partner "not now" is moved to foundations instead):
a send-back to revise; the weakest answer while readiness is below the Tier 2 bar (50); a won deal
without a reference; an AE's accepted intro without a deal; a deal gone stale; an intro waiting on
an AE for 5 days or more; no account list; overlapping accounts without an intro request; an
overdue step; the weakest answer; the next tier's biggest gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.intel.classify import THIN_BELOW, Classification, State
from domain.intel.explain import day
from domain.intel.facts import AnswerKind, PartnerFacts
from domain.intel.readiness import LABEL, POINTS, Judged
from domain.intel.tiers import Gap

DAY = timedelta(days=1)
SHOWN_ACCOUNTS = 3


@dataclass(frozen=True, slots=True)
class Action:
    action: str  # imperative, for the partner or the PM
    because: str  # the fact behind it
    source: str  # step / deal / intro / signal it came from


def _accounts(facts: PartnerFacts) -> str:
    names = ", ".join(facts.overlapping[:SHOWN_ACCOUNTS])
    more = len(facts.overlapping) - SHOWN_ACCOUNTS
    return names + (f" and {more} more" if more > 0 else "")


def _intro_action(facts: PartnerFacts) -> str:
    if facts.overlapping:
        return f"you have {len(facts.overlapping)} overlapping accounts ({_accounts(facts)}): request an intro"
    return "upload your account list to find overlapping accounts, then request an intro"


def weakest_fixes(best: dict[AnswerKind, Judged]) -> list[tuple[str, str]]:
    """(what to fix, step key) for each missed readiness rule, weakest answer first."""
    fixes = []
    order = list(POINTS)  # journey order breaks ties: the ICP and value proposition come first
    for judged in sorted(best.values(), key=lambda j: (j.ratio, -POINTS[j.kind], order.index(j.kind))):
        if judged.submission.review.state == "approved" or judged.submission.review.grade is not None:
            continue
        for rule in judged.missed:
            fixes.append((f"{LABEL[judged.kind]}: {rule.fix}", judged.submission.step_key))
    return fixes


def gap_action(gap: Gap, facts: PartnerFacts, best: dict[AnswerKind, Judged]) -> Action:
    because, src = f"{gap.signal} {gap.value}, needs {gap.min}", f"signal {gap.signal}"
    if gap.signal == "gtm_readiness":
        fixes = weakest_fixes(best)
        missing = [LABEL[k] for k in LABEL if k not in best]
        todo = "; ".join([f for f, _ in fixes[:2]] + [f"answer the {m}" for m in missing[:1]])
        return Action(f"Sharpen what you wrote: {todo or 'ask the PM to review your answers'}", because, src)
    if gap.signal == "proven_capability":
        waiting = [j for j in best.values() if j.kind in (AnswerKind.use_case, AnswerKind.proof_point)]
        if waiting and all(j.submission.review.state == "pending" and not j.missed for j in waiting):
            return Action("Ask the PM to review your use case and proof point", because, src)
        return Action(
            "Write up a use case with a named customer and a measured outcome (a number with a unit)", because, src
        )
    if gap.signal == "early_traction":
        return Action(f"Get a first co-sell deal going: {_intro_action(facts)}", because, src)
    if gap.signal == "field_advocacy":
        won = next((d for d in facts.deals if d.stage == "closed_won" and d.ae_name), None)
        if won and not facts.feedback:
            return Action(f"Ask {won.ae_name} for feedback on the won deal on {won.account_name}", because, src)
        return Action(f"Get one AE to say they would invite you again: {_intro_action(facts)}", because, src)
    return Action("Answer invites within 2 days and finish each step by its due date", because, src)


def _deal_actions(facts: PartnerFacts, best: dict[AnswerKind, Judged], as_of: datetime) -> Action | None:
    proof = best.get(AnswerKind.proof_point)
    for d in facts.deals:
        if d.stage == "closed_won" and (proof is None or proof.submission.submitted_at < (d.closed_at or d.updated_at)):
            ae = d.ae_name or "the AE"
            return Action(
                f"Ask {ae} for a reference after the won deal on {d.account_name}, and send it as proof",
                f"won {day(d.closed_at)}",
                f"deal {d.deal_id}",
            )
    for i in facts.intros:
        if i.status == "accepted" and not any(
            d.account_name.casefold() == i.account_name.casefold() for d in facts.deals
        ):
            return Action(
                f"Register the deal on {i.account_name} that {i.ae_name or i.ae_id} said yes to",
                f"intro accepted {day(i.answered_at)}",
                f"intro {i.intro_id}",
            )
    for d in facts.deals:
        stale = d.stage in ("registered", "accepted", "open") and (
            as_of - d.updated_at > 30 * DAY or (d.expected_close is not None and d.expected_close < as_of.date())
        )
        if stale:
            return Action(
                f"Update the deal on {d.account_name}: stage and expected close",
                f"last updated {day(d.updated_at)}",
                f"deal {d.deal_id}",
            )
    return None


def _engagement_actions(facts: PartnerFacts, st: State, as_of: datetime) -> Action | None:
    for i in facts.intros:
        if i.status in ("sent", "escalated") and as_of - i.requested_at >= 5 * DAY:
            days = (as_of - i.requested_at) // DAY
            return Action(
                f"Chase {i.ae_name or i.ae_id} on the intro for {i.account_name}",
                f"waiting {days} days",
                f"intro {i.intro_id}",
            )
    if facts.accounts_uploaded == 0 and any(s.kind == "account_upload" for s in facts.steps):
        return Action(
            "Upload your account list so we can find where you overlap with our AEs",
            "no accounts uploaded",
            "step account_upload",
        )
    if facts.overlapping and not facts.intros:
        return Action(
            f"Request an intro on {_accounts(facts)}",
            f"{len(facts.overlapping)} overlapping accounts, no intro requested",
            "account matches",
        )
    if st.overdue:
        s = st.overdue[0]
        return Action(f"Complete '{s.title}'", f"overdue since {day(s.due_at)}", f"step {s.step_key}")
    return None


def next_best(
    facts: PartnerFacts,
    best: dict[AnswerKind, Judged],
    st: State,
    cls: Classification,
    needed: tuple[Gap, ...],
    readiness: int,
    as_of: datetime,
) -> Action:
    if cls.label == "not_now":
        return Action(
            "Move to foundations: self-serve plays only, no AE time until they re-engage",
            "; ".join(cls.reasons),
            "classification",
        )
    for sub in facts.submissions:
        if sub.review.state == "sent_back":
            return Action(
                f"Revise '{sub.title}' as the PM asked: {sub.review.comment}",
                f"sent back {day(sub.review.at)}",
                f"step {sub.step_key}",
            )
    fixes = weakest_fixes(best)
    fix = None
    if fixes:
        fix = Action(fixes[0][0][0].upper() + fixes[0][0][1:], "a readiness rule is not met", f"step {fixes[0][1]}")
    if fix and readiness < THIN_BELOW:
        return fix  # thin answers first: an intro on a vague pitch spends an AE's goodwill
    found = _deal_actions(facts, best, as_of) or _engagement_actions(facts, st, as_of)
    if found or fix:
        return found or fix  # type: ignore[return-value]
    if needed:
        return gap_action(needed[0], facts, best)
    return Action(
        "Keep the motion going: run the same play on the next overlapping account",
        "every next-tier criterion is met",
        "tier",
    )
