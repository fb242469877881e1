"""Score partners with a 90-day history through the pure scorer and print partners/s.

    .venv/bin/python -m bench.scoring [--partners 5000 --seed 20261202]

Each partner walks the shipped 90-day playbook as an SI at its own pace (prompt, late, silent after
a few weeks), with thorough or one-line answers, PM reviews, intros, deals and AE feedback drawn
from a fixed seed. The baseline, measured in the same run, iterates the same facts touching every
fact the scorer reads, without scoring, so the ratio is the cost of judging over reading.
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime

from domain.intel.assess import assess
from domain.intel.facts import PartnerFacts, Review
from domain.intel.rubric import default_rubric
from domain.trust import Feedback
from tests.intel_data import DAY, OVERLAP, START, THIN, THOROUGH, Pace, deal, intro, partner

AS_OF = START + 90 * DAY


def _pace(rng: random.Random) -> Pace:
    kind = rng.random()
    if kind < 0.5:
        return Pace(seen=rng.uniform(0.1, 2), done=rng.uniform(1, 6), reminders=rng.randint(0, 1))
    if kind < 0.8:
        return Pace(seen=rng.uniform(2, 6), done=rng.uniform(8, 16), reminders=2)
    return Pace(until_day=rng.randint(3, 40))


def make(rng: random.Random, n: int) -> PartnerFacts:
    at = START + rng.randint(20, 60) * DAY
    intros = tuple(
        intro(k, rng.choice(["accepted", "declined", "sent", "not_now"]), at, at + 2 * DAY, rng.choice(OVERLAP))
        for k in range(rng.randint(0, 3))
    )
    stage = rng.choice(["registered", "accepted", "open", "closed_won", "closed_lost"])
    deals = (deal(n, stage, at, at + 10 * DAY, closed_at=at + 20 * DAY),) if rng.random() < 0.4 else ()
    feedback = ()
    if stage == "closed_won" and deals:
        feedback = (
            Feedback(
                f"deal-{n}",
                "ae-dana",
                "Dana Reyes",
                "sourced",
                rng.randint(2, 5),
                rng.randint(2, 5),
                rng.random() < 0.7,
                at + 25 * DAY,
            ),
        )
    review = {"use-case-writeup": Review(state=rng.choice(["pending", "approved", "sent_back"]), at=at)}
    answers = THOROUGH if rng.random() < 0.6 else THIN
    return partner(f"p-{n}", _pace(rng), AS_OF, answers, intros=intros, deals=deals, feedback=feedback, reviews=review)


def baseline(cohort: list[PartnerFacts], as_of: datetime) -> int:
    """Read every fact the scorer reads (timings, answers, intros, deals, feedback) without judging."""
    seen = 0
    for f in cohort:
        for s in f.steps:
            seen += (s.completed_at or as_of) <= s.due_at
            seen += s.first_seen_at is not None and s.reminders_sent
        for sub in f.submissions:
            seen += sum(len(str(v)) for v in sub.answers.values()) > 0
        seen += len(f.intros) + len(f.deals) + len(f.feedback)
    return seen


def _timed(work: Callable[[], object]) -> tuple[float, float]:
    """(wall, cpu) seconds: on a shared machine the cpu time is what the scorer itself costs."""
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu


def _loop_ns(steps: int = 1_000_000) -> float:
    """A calibration: how slow this machine runs Python right now."""
    cpu, total = time.process_time(), 0
    for i in range(steps):
        total += i
    return (time.process_time() - cpu) / steps * 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--partners", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=20261202)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    cohort = [make(rng, n) for n in range(args.partners)]
    rubric = default_rubric()
    events = sum(len(f.steps) + len(f.submissions) + len(f.intros) + len(f.deals) + len(f.feedback) for f in cohort)

    before = _loop_ns()
    read, read_cpu = _timed(lambda: baseline(cohort, AS_OF))
    results: list = []
    scored, scored_cpu = _timed(lambda: results.extend(assess(f, AS_OF, rubric) for f in cohort))
    step_ns = (before + _loop_ns()) / 2  # the machine's speed around the run: other work shares the cores
    n = len(cohort)
    steps = scored_cpu / n * 1e9 / step_ns
    print(f"partners {n:,} with a 90-day history, {events / n:.1f} facts each (seed {args.seed})")
    print(f"machine   a bare Python loop step takes {step_ns:.0f} ns here (about 25 ns on an idle modern core)")
    print(f"baseline  read the facts  {read:7.3f} s wall = {n / read:10,.0f}/s; cpu {n / read_cpu:10,.0f}/s")
    print(
        f"scorer    assess()        {scored:7.3f} s wall = {n / scored:10,.0f}/s; cpu {n / scored_cpu:10,.0f}/s"
        " (goal >= 5,000/s)"
    )
    print(f"ratio     scoring costs {scored_cpu / read_cpu:,.0f}x reading (cpu time)")
    print(f"cost      {steps:,.0f} loop steps per partner = {1e9 / (steps * 25):,.0f}/s at 25 ns a step (an estimate)")
    print(
        "tiers     " + ", ".join(f"Tier {t}: {n:,}" for t, n in sorted(Counter(r.tier.tier for r in results).items()))
    )
    print(
        "classes   "
        + ", ".join(f"{c}: {n:,}" for c, n in sorted(Counter(r.classification.label for r in results).items()))
    )


if __name__ == "__main__":
    main()
