"""Behavior, 0-100: what the partner does, judged from timings, never from what it says about itself.

Components and their maximum points (before scaling):

| component        | max | per fact                                                                 |
| ---------------- | --- | ------------------------------------------------------------------------ |
| steps            |  60 | per judged step: seen (link visit, click or completion) within 2 days of |
|                  |     | the invite 10, within 5 days 5; done within half its due window 10, by   |
|                  |     | the due date 6, late 2; on time 25, late 10; reminders needed: 15 x (1 - |
|                  |     | reminders / max reminders)                                               |
| streaks and gaps |  10 | last action within 7 days 6, within 14 days 3; +1 per step in the latest |
|                  |     | run of on-time completions (at most 4)                                   |
| intros taken up  |  10 | only if an AE accepted an intro: share of accepted intros followed by a  |
|                  |     | deal registered on that account (an intro accepted < 14 days ago waits)  |
| deal hygiene     |  10 | only if the partner has deals: share kept current (closed, or updated in |
|                  |     | the last 30 days with an expected close that has not passed)             |
| follow-through   |  10 | only after a PM send-back: revised within 7 days 1, later 0.5, not after |
|                  |     | 7 days 0 (a send-back younger than 7 days waits)                         |

A step is judged once it is completed or past due; an open step that is not yet due says nothing.
Recent behavior weighs more: each step weighs 0.5 ** (age / 30 days) (a 30-day half-life), age
counted from its invite to `as_of`, and the steps component is the weighted mean of the judged
steps. The components that apply are scaled to 100, so every item below is already in score points.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.intel.explain import Item, Score, day, total
from domain.intel.facts import PartnerFacts, StepFact

HALF_LIFE_DAYS = 30.0
STEPS_MAX, GAPS_MAX, INTROS_MAX, DEALS_MAX, FOLLOW_MAX = 60, 10, 10, 10, 10
DAY = timedelta(days=1)
OPEN_DEALS = ("registered", "accepted", "open")


@dataclass(frozen=True, slots=True)
class _Part:
    max: int
    raw: Sequence[tuple[float, str, str, datetime | None]]  # (points out of max, reason, source, at)


def decay(age: timedelta) -> float:
    return float(0.5 ** (max(age.total_seconds(), 0.0) / (86400 * HALF_LIFE_DAYS)))


def _days(delta: timedelta | float) -> str:
    n = round(delta / DAY if isinstance(delta, timedelta) else delta)
    return f"{n} day{'s' if n != 1 else ''}"


def _judge_step(s: StepFact, as_of: datetime) -> tuple[float, str] | None:
    """One step's points out of 60 and why; None while it is open and not yet due."""
    done = s.completed_at if s.completed_at and s.completed_at <= as_of else None
    if done is None and as_of < s.due_at:
        return None
    seen = s.first_seen_at if s.first_seen_at and s.first_seen_at <= as_of else done
    points = 0.0
    if seen is not None:
        lag = (seen - s.invited_at).total_seconds() / 86400  # days, as a float: cheaper than timedeltas
        points += 10 if lag <= 2 else 5 if lag <= 5 else 0
        opened = "opened within a day of the invite" if lag < 1 else f"opened {_days(lag)} after the invite"
    else:
        opened = "never opened"
    if done is not None:
        window = (s.due_at - s.invited_at).total_seconds()
        took = (done - s.invited_at).total_seconds()
        on_time = done <= s.due_at
        points += (10 if took <= window / 2 else 6) if on_time else 2
        points += 25 if on_time else 10
        late = "" if on_time else f", {_days(done - s.due_at)} late"
        finished = f"done {_days(took / 86400)} after the invite{late}"
    else:
        finished = f"overdue since {day(s.due_at)}"
    used = min(s.reminders_sent, s.max_reminders)
    points += 15 * (1 - used / s.max_reminders) if s.max_reminders else 15
    reminded = f"{used} of {s.max_reminders} reminders" if used else "no reminder"
    return points, f"{opened}, {finished}, {reminded}"


def _steps(facts: PartnerFacts, as_of: datetime) -> _Part | None:
    judged = []
    for s in facts.steps:
        if s.invited_at > as_of:
            continue
        verdict = _judge_step(s, as_of)
        if verdict is not None:
            judged.append((s, verdict[0], verdict[1], decay(as_of - s.invited_at)))
    if not judged:
        return None
    weights = sum(w for *_, w in judged)
    raw = [
        (points * w / weights, f"{s.title}: {why} (weight {w:.2f})", f"step {s.step_key}", s.invited_at)
        for s, points, why, w in judged
    ]
    return _Part(STEPS_MAX, raw)


def _last_action(facts: PartnerFacts, as_of: datetime) -> tuple[datetime, str] | None:
    moments = [(s.first_seen_at, f"step {s.step_key}") for s in facts.steps if s.first_seen_at]
    moments += [(s.completed_at, f"step {s.step_key}") for s in facts.steps if s.completed_at]
    moments += [(i.requested_at, f"intro {i.intro_id}") for i in facts.intros]
    moments += [(d.registered_at, f"deal {d.deal_id}") for d in facts.deals if d.source == "partner"]
    past = [(m, src) for m, src in moments if m is not None and m <= as_of]
    return max(past, key=lambda p: p[0]) if past else None


def _gaps(facts: PartnerFacts, as_of: datetime) -> _Part:
    raw: list[tuple[float, str, str, datetime | None]] = []
    last = _last_action(facts, as_of)
    if last is None:
        raw.append((0.0, f"no action since joining {day(facts.joined_at)}", "partner", facts.joined_at))
    else:
        gap = as_of - last[0]
        points = 6 if gap <= 7 * DAY else 3 if gap <= 14 * DAY else 0
        when = "today" if gap < DAY else f"{_days(gap)} ago"
        raw.append((float(points), f"last action {when}", last[1], last[0]))
    judged = sorted((s for s in facts.steps if s.completed_at or s.due_at <= as_of), key=lambda s: s.due_at)
    streak = 0
    for s in reversed(judged):
        if not (s.completed_at and s.completed_at <= s.due_at and s.completed_at <= as_of):
            break
        streak += 1
    if streak:
        raw.append((float(min(streak, 4)), f"{streak} step(s) in a row done on time", "steps", None))
    return _Part(GAPS_MAX, raw)


def _same_account(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


def _intros(facts: PartnerFacts, as_of: datetime) -> _Part | None:
    raw = []
    for i in facts.intros:
        if i.status != "accepted" or i.answered_at is None or i.answered_at > as_of:
            continue
        deal = next(
            (d for d in facts.deals if _same_account(d.account_name, i.account_name) and d.registered_at <= as_of),
            None,
        )
        if deal is not None:
            raw.append((1.0, f"took up {i.ae_name or i.ae_id}'s yes on {i.account_name}", f"deal {deal.deal_id}"))
        elif as_of - i.answered_at >= 14 * DAY:
            raw.append(
                (0.0, f"{i.ae_name or i.ae_id} said yes on {i.account_name}, nothing since", f"intro {i.intro_id}")
            )
    if not raw:
        return None
    return _Part(INTROS_MAX, [(INTROS_MAX * p / len(raw), why, src, None) for p, why, src in raw])


def _deals(facts: PartnerFacts, as_of: datetime) -> _Part | None:
    deals = [d for d in facts.deals if d.stage != "rejected" and d.registered_at <= as_of]
    if not deals:
        return None
    raw = []
    for d in deals:
        if d.stage not in OPEN_DEALS:
            current, why = True, f"{d.account_name}: closed and recorded"
        elif as_of - d.updated_at > 30 * DAY:
            current, why = False, f"{d.account_name}: not updated since {day(d.updated_at)}"
        elif d.expected_close and d.expected_close < as_of.date():
            current, why = False, f"{d.account_name}: expected close {d.expected_close:%-d %b} has passed"
        else:
            current, why = True, f"{d.account_name}: kept current"
        raw.append((DEALS_MAX * current / len(deals), why, f"deal {d.deal_id}", d.updated_at))
    return _Part(DEALS_MAX, raw)


def _follow_through(facts: PartnerFacts, as_of: datetime) -> _Part | None:
    raw = []
    for sub in facts.submissions:
        back = sub.sent_back_at
        if back is None or back > as_of:
            continue
        revised = sub.submitted_at if sub.submitted_at > back and sub.submitted_at <= as_of else None
        if revised is not None:
            ratio = 1.0 if revised - back <= 7 * DAY else 0.5
            raw.append((ratio, f"{sub.title}: revised {_days(revised - back)} after the send-back", sub))
        elif as_of - back > 7 * DAY:
            raw.append((0.0, f"{sub.title}: sent back {day(back)}, not revised", sub))
    if not raw:
        return None
    return _Part(
        FOLLOW_MAX, [(FOLLOW_MAX * r / len(raw), why, f"step {s.step_key}", s.sent_back_at) for r, why, s in raw]
    )


def score(facts: PartnerFacts, as_of: datetime) -> Score:
    parts = [
        p
        for p in (
            _steps(facts, as_of),
            _gaps(facts, as_of),
            _intros(facts, as_of),
            _deals(facts, as_of),
            _follow_through(facts, as_of),
        )
        if p is not None
    ]
    scale = 100 / sum(p.max for p in parts)
    items = [Item(round(points * scale, 2), reason, source, at) for p in parts for points, reason, source, at in p.raw]
    return total("behavior", items)
