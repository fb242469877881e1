"""GTM readiness, 0-100, from what the partner wrote (not from how many steps it finished).

The rubric, one set of rules per answer kind (`facts.AnswerKind`, derived from the playbook step):

| kind              | points | the answer must name                                                  |
| ----------------- | ------ | --------------------------------------------------------------------- |
| icp               |   20   | an industry; a company-size band; a buyer role                        |
| value_proposition |   15   | a buyer; a pain; an outcome                                           |
| offer             |   20   | a scope or a price; an entry point sellers recognize (assessment...)  |
| use_case          |   15   | a customer or a reference type; a measured outcome (number + unit)    |
| proof_point       |   15   | a customer or a reference type; a measured outcome (number + unit)    |
| messaging         |   15   | across answers: the value proposition names the ICP's buyer role; the |
|                   |        | use cases, offers and proof points speak to an ICP industry           |

Each kind earns points x (rules met / rules), from its best answer (the latest revision of each
step). A PM review overrides the rules for that answer: approved earns the full points, a grade
earns points x grade / 100, a send-back earns 0 until the revision; the explanation says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from domain.intel.explain import Item, Score, day, total
from domain.intel.facts import AnswerKind, PartnerFacts, Submission
from tests.intel_oracle import text_rules as t

Check = Callable[[t.Text], "str | None"]


BARE = {"names": "name", "states": "state", "has": "have"}


@dataclass(frozen=True)
class Rule:
    names: str  # "names an industry"
    fix: str  # what the partner can do when the rule is not met
    check: Check

    @property
    def lacks(self) -> str:
        verb, _, rest = self.names.partition(" ")
        return f"does not {BARE.get(verb, verb)} {rest}"


RULES: dict[AnswerKind, tuple[Rule, ...]] = {
    AnswerKind.icp: (
        Rule("names an industry", "name the two or three industries you win in", t.industry),
        Rule("names a company-size band", "say which company sizes you win (e.g. mid-market)", t.size_band),
        Rule("names a buyer role", "name the title of the person who owns the budget", t.buyer_role),
    ),
    AnswerKind.value_proposition: (
        Rule("names a buyer", "say who the buyer is ('for heads of finance at ...')", t.buyer),
        Rule("names a pain", "say what it costs the buyer today (slow, manual, risky ...)", t.pain),
        Rule(
            "names an outcome",
            "say what changes for the buyer (cut, faster, from 9 to 4 days)",
            t.outcome,
        ),
    ),
    AnswerKind.offer: (
        Rule("names a scope or a price", "give a fixed duration or a price band", t.scope_or_price),
        Rule(
            "has an entry point sellers recognize",
            "start with an entry point an AE can propose (assessment, proof of value, private offer)",
            t.entry_point,
        ),
    ),
    AnswerKind.use_case: (
        Rule("names a customer or a reference", "name a customer or a reference type", t.customer),
        Rule(
            "states a measured outcome",
            "state the outcome as a number with a unit (40% faster, 3 days)",
            t.measured,
        ),
    ),
    AnswerKind.proof_point: (
        Rule("names a customer or a reference", "name a customer or a reference type", t.customer),
        Rule(
            "states a measured outcome",
            "state the outcome as a number with a unit (40% faster, 3 days)",
            t.measured,
        ),
    ),
}
POINTS = {
    AnswerKind.icp: 20,
    AnswerKind.value_proposition: 15,
    AnswerKind.offer: 20,
    AnswerKind.use_case: 15,
    AnswerKind.proof_point: 15,
}
MESSAGING_POINTS = 15
LABEL = {
    AnswerKind.icp: "ICP",
    AnswerKind.value_proposition: "value proposition",
    AnswerKind.offer: "offer",
    AnswerKind.use_case: "use case",
    AnswerKind.proof_point: "proof point",
}


@dataclass(frozen=True)
class Judged:
    """One answer judged against one kind's rules."""

    kind: AnswerKind
    submission: Submission
    met: tuple[tuple[Rule, str], ...]
    missed: tuple[Rule, ...]
    text: dict[str, t.Text]  # the answer's words, kept for the messaging check

    @property
    def ratio(self) -> float:
        return len(self.met) / (len(self.met) + len(self.missed))


def texts(sub: Submission) -> dict[str, t.Text]:
    """The whole answer, and the value proposition alone when the form has that field: a value
    proposition is judged on its own words, not on the rest of the form."""
    whole = t.Text(sub.answers)
    vp = sub.answers.get("value_proposition")
    return {"all": whole, "vp": t.Text({}, vp) if isinstance(vp, str) else whole}


def judge(sub: Submission, kind: AnswerKind, text: dict[str, t.Text] | None = None) -> Judged:
    text = text or texts(sub)
    words = text["vp" if kind == AnswerKind.value_proposition else "all"]
    met, missed = [], []
    for rule in RULES[kind]:
        found = rule.check(words)
        if found:
            met.append((rule, found))
        else:
            missed.append(rule)
    return Judged(kind, sub, tuple(met), tuple(missed), text)


def _override(j: Judged) -> float | None:
    review = j.submission.review
    if review.state == "sent_back":
        return 0.0
    if review.grade is not None:
        return review.grade / 100
    return 1.0 if review.state == "approved" else None


def _effective(j: Judged) -> float:
    override = _override(j)
    return j.ratio if override is None else override


def best_answers(facts: PartnerFacts, as_of: datetime) -> dict[AnswerKind, Judged]:
    best: dict[AnswerKind, Judged] = {}
    for sub in facts.submissions:
        if sub.submitted_at > as_of or not sub.answer_kinds:
            continue
        text = texts(sub)
        for kind in sub.answer_kinds:
            judged = judge(sub, kind, text)
            if kind not in best or _effective(judged) > _effective(best[kind]):
                best[kind] = judged
    return best


def _kind_items(kind: AnswerKind, j: Judged | None) -> list[Item]:
    points, label = POINTS[kind], LABEL[kind]
    if j is None:
        return [Item(0, f"no {label} answered yet", "rubric")]
    sub, review = j.submission, j.submission.review
    src, at = f"step {sub.step_key}", sub.submitted_at
    override = _override(j)
    if override is not None:
        rules = f"the rules gave {points * j.ratio:.1f}"
        if review.state == "sent_back":
            why = f"{label} sent back by the PM on {day(review.at)}: {review.comment or 'revise it'} ({rules})"
        elif review.grade is not None:
            why = f"{label} graded {review.grade}/100 by the PM on {day(review.at)}, overriding the rules ({rules})"
        else:
            why = f"{label} approved by the PM on {day(review.at)}, overriding the rules ({rules})"
        return [Item(round(points * override, 2), why, src, review.at or at)]
    share = points / (len(j.met) + len(j.missed))
    items = [Item(round(share, 2), f"{label} {rule.names} ({found!r})", src, at) for rule, found in j.met]
    items += [Item(0, f"{label} {rule.lacks}: {rule.fix}", src, at) for rule in j.missed]
    return items


def _messaging(best: dict[AnswerKind, Judged]) -> list[Item]:
    half = MESSAGING_POINTS / 2
    icp = best.get(AnswerKind.icp)
    if icp is None:
        return [Item(0, "messaging can only be checked against an ICP: answer the ICP first", "rubric")]
    role = t.buyer_role(icp.text["all"])
    items = []
    vp = best.get(AnswerKind.value_proposition)
    if role and vp is not None and role in vp.text["vp"].vocab:
        items.append(
            Item(half, f"the value proposition names the ICP buyer ({role!r})", f"step {vp.submission.step_key}")
        )
    else:
        items.append(
            Item(0, "the value proposition does not name the ICP's buyer role: use the same title in both", "rubric")
        )
    icp_industries = t.industries(icp.text["all"])
    others = [best[k] for k in (AnswerKind.offer, AnswerKind.use_case, AnswerKind.proof_point) if k in best]
    echo = next((o for o in others if icp_industries & t.industries(o.text["all"])), None)
    if echo is not None:
        shared = sorted(icp_industries & t.industries(echo.text["all"]))
        why = f"the {LABEL[echo.kind]} speaks to an ICP industry ({', '.join(shared)})"
        items.append(Item(half, why, f"step {echo.submission.step_key}"))
    else:
        items.append(
            Item(0, "no use case, offer or proof point speaks to an ICP industry: tell one from your ICP", "rubric")
        )
    return items


def score(facts: PartnerFacts, as_of: datetime, best: dict[AnswerKind, Judged] | None = None) -> Score:
    best = best_answers(facts, as_of) if best is None else best
    items = [item for kind in POINTS for item in _kind_items(kind, best.get(kind))]
    items += _messaging(best)
    return total("gtm_readiness", items)
