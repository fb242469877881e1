"""The scorer judges partners drawn wide exactly as it did when this digest was recorded (random answers
from the rules' own vocabulary, reviews, grades, send-backs, intros and deals in every state, feedback,
tiers held or missed, two rubrics, several moments); the bench's corpus (test_intel_corpus) only walks two
fixed answer sets. The digest was recorded while the previous scorer, kept beside the faster one, agreed
with it on every field of all 600 assessments (88d713d). A deliberate change to a rule updates it in the
same commit, and says why."""

from __future__ import annotations

import hashlib
import random
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.intel.assess import assess
from domain.intel.facts import AnswerKind, DealFact, IntroFact, PartnerFacts, Review, StepFact, Submission
from domain.intel.rubric import default_rubric, parse_rubric
from domain.trust import Feedback

DIGEST = "a190936114d259d8692795f9bc027f45c33ea418a3a45c806cfd68aa7ec8b432"  # the previous scorer gives it too
START, DAY = datetime(2026, 9, 7, 9, 0, tzinfo=UTC), timedelta(days=1)
VOCABULARY = """
insurers banks hospital retail manufacturing energy public sector software logistics mid-market smb
enterprise employees cfo vp head director buyer for teams leaders manual slow backlog risk
compliance legacy can't too long cut reduce faster improve doubled assessment pilot proof of value
private offer quick start case study named reference customer clients two three 40% 3 weeks 12 days
$25k 50k 6 months per month fixed fee deliverable the and with our we a an of to in
"""
WORDS = VOCABULARY.split()
KEYS = ("summary", "value_proposition", "customer_name", "reference_status", "production_customers")
KEYS += ("duration_weeks", "company_size", "notes")
ACCOUNTS = ("Contoso Health", "Fabrikam Insurance", "Woodgrove Bank", "Litware Life")
RUBRIC = """
id: strict
version: 2
title: Strict
tiers:
  - {tier: 1, name: Strategic, criteria: [{signal: gtm_readiness, min: 40}, {signal: behavior, min: 45}]}
  - {tier: 2, name: Emerging, criteria: [{signal: gtm_readiness, min: 20}, {signal: early_traction, min: 8}]}
hysteresis: {demotion_margin: 15, reviews_to_demote: 3}
"""


def _maybe(rng: random.Random, at: datetime, days: float) -> datetime | None:
    return at + rng.uniform(0, days) * DAY if rng.random() < 0.7 else None


def _answers(rng: random.Random) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for key in rng.sample(KEYS, rng.randint(1, len(KEYS))):
        if key in ("production_customers", "duration_weeks", "company_size") and rng.random() < 0.6:
            answers[key] = rng.choice([0, 3, 250, 2.5])
        elif key == "reference_status" and rng.random() < 0.4:
            answers[key] = rng.choice(["Customer not asked yet", "Named reference available", " "])
        else:
            text = " ".join(rng.choices(WORDS, k=rng.randint(0, 40)))
            answers[key] = text if rng.random() < 0.8 else text.split()
    return answers


def _steps(rng: random.Random, pid: str) -> tuple[StepFact, ...]:
    steps, invited = [], START
    for n in range(rng.randint(0, 14)):
        invited += rng.uniform(0, 9) * DAY
        seen = _maybe(rng, invited, 8)
        steps.append(
            StepFact(
                journey_id=f"j-{pid}",
                step_key=f"step-{n}",
                title=f"Step {n}",
                kind=rng.choice(["form", "acknowledge", "account_upload", "meeting"]),
                stage="foundations",
                invited_at=invited,
                due_at=invited + rng.randint(1, 10) * DAY,
                reminders_sent=rng.randint(0, 3),
                max_reminders=rng.choice([0, 1, 2, 3]),
                first_seen_at=seen,
                completed_at=_maybe(rng, seen or invited, 15),
            )
        )
    return tuple(steps)


def _submissions(rng: random.Random) -> tuple[Submission, ...]:
    subs = []
    for n in range(rng.randint(0, 7)):
        at = START + rng.uniform(0, 90) * DAY
        state = rng.choice(["pending", "pending", "approved", "sent_back"])
        grade = rng.choice([None, None, 0, 45, 100])
        review = Review(state=state, at=at + DAY, by="pm", comment=rng.choice(["", "name a customer"]), grade=grade)
        subs.append(
            Submission(
                step_key=f"step-{n}",
                title=f"Answer {n}",
                answer_kinds=tuple(rng.sample(list(AnswerKind), rng.randint(0, 2))),
                answers=_answers(rng),
                submitted_at=at,
                review=review,
                sent_back_at=rng.choice([None, at - rng.uniform(0, 12) * DAY, at + 2 * DAY]),
            )
        )
    return tuple(subs)


def _field(rng: random.Random) -> dict[str, Any]:
    """Intros, deals and AE feedback in every state, on a few shared accounts (so intros meet deals)."""
    intros, deals, feedback = [], [], []
    for n in range(rng.randint(0, 4)):
        at = START + rng.uniform(0, 80) * DAY
        status = rng.choice(["pending", "sent", "accepted", "declined", "not_now", "escalated"])
        intros.append(
            IntroFact(
                intro_id=f"i-{n}",
                account_name=rng.choice(ACCOUNTS),
                ae_id=rng.choice(["ae-1", "ae-2"]),
                ae_name=rng.choice(["", "Dana"]),
                status=status,
                requested_at=at,
                answered_at=_maybe(rng, at, 20),
            )
        )
    for n in range(rng.randint(0, 4)):
        at = START + rng.uniform(0, 80) * DAY
        stage = rng.choice(["registered", "accepted", "rejected", "open", "closed_won", "closed_lost"])
        deals.append(
            DealFact(
                deal_id=f"d-{n}",
                account_name=rng.choice(ACCOUNTS).upper() if rng.random() < 0.2 else rng.choice(ACCOUNTS),
                stage=stage,
                source=rng.choice(["partner", "pm", "crm"]),
                ae_name=rng.choice(["", "Dana"]),
                registered_at=at,
                updated_at=at + rng.uniform(0, 40) * DAY,
                expected_close=rng.choice([None, (at + rng.uniform(-10, 60) * DAY).date()]),
                closed_at=_maybe(rng, at, 30) if stage.startswith("closed") else None,
            )
        )
        if stage == "closed_won" and rng.random() < 0.7:
            ae, scores = rng.choice(["ae-1", "ae-2", "ae-3"]), (rng.randint(1, 5), rng.randint(1, 5))
            contribution = rng.choice(["sourced", "accelerated", "influenced", "none"])
            feedback.append(Feedback(f"d-{n}", ae, "", contribution, *scores, rng.random() < 0.6, at + 9 * DAY, "Acme"))
    return {"intros": tuple(intros), "deals": tuple(deals), "feedback": tuple(feedback)}


def varied(rng: random.Random, n: int) -> PartnerFacts:
    pid = f"p-{n}"
    return PartnerFacts(
        partner_id=pid,
        name=pid,
        type="SI",
        tier=rng.choice([1, 2, 3]),
        missed_reviews=rng.randint(0, 2),
        joined_at=START,
        steps=_steps(rng, pid),
        submissions=_submissions(rng),
        accounts_uploaded=rng.choice([0, 40]),
        overlapping=tuple(rng.sample(ACCOUNTS, rng.randint(0, 4))),
        **_field(rng),
    )


def test_partners_drawn_wide_score_as_recorded() -> None:
    rng, rubrics = random.Random(20261204), (default_rubric(), parse_rubric(RUBRIC, "strict"))
    seen: dict[str, set[object]] = {"tier": set(), "class": set(), "move": set()}
    digest = hashlib.sha256()
    for n in range(600):
        facts, as_of = varied(rng, n), START + rng.choice([5, 30, 60, 95, 140]) * DAY
        got = assess(facts, as_of, rubrics[n % 2])
        digest.update(repr(asdict(got)).encode())
        seen["tier"].add(got.tier.tier)
        seen["move"].add(got.tier.move)
        seen["class"].add(got.classification.label)
    # The draw reaches every outcome, so a rule change anywhere changes the digest.
    assert seen == {
        "tier": {1, 2, 3},
        "move": {"promoted", "demoted", "held", "kept"},
        "class": {"on_track", "not_yet", "at_risk", "not_now"},
    }, seen
    assert digest.hexdigest() == DIGEST
