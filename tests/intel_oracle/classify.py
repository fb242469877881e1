"""Not yet vs not ever: where a partner stands, and why. Rules, first match wins:

1. **not now** (disengaged: move to foundations, stop spending AE time): at least 2 invites ignored
   after every reminder and nothing for 21 days, while readiness < 50 and field advocacy < 40; or
   behavior < 25 and nothing for 30 days.
2. **not yet** (invest): readiness >= 60 or field advocacy >= 50, but stalled (nothing for 14 days
   while a step waits, or a step overdue) or no co-sell traction after 30 days in the program.
3. **at risk** (slipping): behavior < 50, a step overdue, nothing for 10 days while a step waits,
   or prompt but thin (3 answers or more and readiness < 50, below the Tier 2 bar).
4. **on track** otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from domain.intel.explain import day
from domain.intel.facts import PartnerFacts, StepFact

Class = Literal["on_track", "not_yet", "at_risk", "not_now"]
DAY = timedelta(days=1)
THIN_BELOW = 50


@dataclass(frozen=True, slots=True)
class State:
    """What the rules read besides the scores, each derived from the facts as of a moment."""

    idle_days: int  # since the partner's last action (or since joining)
    waiting: int  # steps invited and not done: idle time only counts while something waits
    overdue: tuple[StepFact, ...]  # past due and not done
    ignored: tuple[StepFact, ...]  # past due, never opened, every reminder sent
    days_in: int
    answered: int  # submissions with answer kinds


def state(facts: PartnerFacts, as_of: datetime) -> State:
    moments = [facts.joined_at]
    for s in facts.steps:
        moments += [m for m in (s.first_seen_at, s.completed_at) if m and m <= as_of]
    moments += [i.requested_at for i in facts.intros if i.requested_at <= as_of]
    moments += [d.registered_at for d in facts.deals if d.source == "partner" and d.registered_at <= as_of]
    overdue = tuple(s for s in facts.steps if s.due_at <= as_of and not (s.completed_at and s.completed_at <= as_of))
    ignored = tuple(s for s in overdue if s.first_seen_at is None and s.reminders_sent >= s.max_reminders)
    answered = sum(1 for s in facts.submissions if s.answer_kinds and s.submitted_at <= as_of)
    waiting = sum(1 for s in facts.steps if s.invited_at <= as_of and not (s.completed_at and s.completed_at <= as_of))
    idle = (as_of - max(moments)) // DAY
    return State(idle, waiting, overdue, ignored, (as_of - facts.joined_at) // DAY, answered)


@dataclass(frozen=True, slots=True)
class Classification:
    label: Class
    reasons: tuple[str, ...]


def classify(scores: dict[str, int], st: State) -> Classification:
    behavior, readiness = scores["behavior"], scores["gtm_readiness"]
    advocacy, traction = scores["field_advocacy"], scores["early_traction"]
    idle = f"no action for {st.idle_days} days"
    ignored = ", ".join(f"'{s.title}'" for s in st.ignored)
    if (len(st.ignored) >= 2 and st.idle_days >= 21 and readiness < 50 and advocacy < 40) or (
        behavior < 25 and st.idle_days >= 30
    ):
        reasons = [idle, f"behavior {behavior}"]
        if st.ignored:
            reasons.append(f"ignored {len(st.ignored)} invite(s) after every reminder: {ignored}")
        reasons.append(f"readiness {readiness}: the answers so far are too thin to bring to an AE")
        return Classification("not_now", tuple(reasons))
    strong = f"readiness {readiness}" if readiness >= 60 else f"field advocacy {advocacy}"
    if readiness >= 60 or advocacy >= 50:
        stalled = []
        if st.idle_days >= 14 and st.waiting:
            stalled.append(idle)
        if st.overdue:
            stalled.append(f"'{st.overdue[0].title}' overdue since {day(st.overdue[0].due_at)}")
        if traction == 0 and st.days_in >= 30:
            stalled.append(f"no co-sell traction after {st.days_in} days")
        if stalled:
            return Classification("not_yet", (f"strong {strong}", *stalled))
    risks = []
    if behavior < 50:
        risks.append(f"behavior {behavior}")
    if st.overdue:
        risks.append(
            f"{len(st.overdue)} step(s) overdue, first '{st.overdue[0].title}' since {day(st.overdue[0].due_at)}"
        )
    if st.idle_days >= 10 and st.waiting:
        risks.append(idle)
    if st.answered >= 3 and readiness < THIN_BELOW:
        risks.append(f"prompt but thin: {st.answered} answers add up to readiness {readiness}")
    if risks:
        return Classification("at_risk", tuple(risks))
    return Classification("on_track", (f"behavior {behavior}, readiness {readiness}, traction {traction}",))
