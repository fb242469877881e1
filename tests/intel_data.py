"""Realistic partners for the intelligence scorers: an SI walking the shipped 90-day playbook.

Steps, kinds and answer kinds come from playbooks/content/cloud-cosell-90d, so the facts look like
what the database holds for a real journey: each step is invited when the previous one is done (or
its due date passes), with the partner's pace deciding when it is opened and done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from domain.intel.facts import (
    DealFact,
    IntroFact,
    PartnerFacts,
    Review,
    StepFact,
    Submission,
    answer_kinds_of,
)
from playbooks.loader import CONTENT_DIR, load_playbook
from playbooks.model import Step
from playbooks.plan import stage_steps

START = datetime(2026, 9, 7, 9, 0, tzinfo=UTC)  # a Monday
DAY = timedelta(days=1)
OVERLAP = ("Contoso Health", "Fabrikam Insurance", "Tailspin Mutual", "Woodgrove Bank", "Litware Life")

THOROUGH: dict[str, dict[str, Any]] = {
    "icp-profile": {
        "target_industries": ["Insurance", "Healthcare and life sciences"],
        "company_sizes": ["Mid-market (250 to 2,500 employees)"],
        "regions": ["North America"],
        "primary_buyer": "VP Claims Operations",
        "value_proposition": (
            "For VP Claims Operations at mid-market insurers whose manual claims triage takes 2 days, we "
            "automate document intake on the platform and cut triage to under an hour within 8 weeks."
        ),
        "trigger_events": "A new claims system RFP, a regulator audit finding on claim cycle times, a merger.",
    },
    "solution-profile": {
        "solution_name": "ClaimFlow",
        "solution_type": "Professional services",
        "deployment_model": "Services only, no software",
        "production_customers": 9,
        "certified_staff": 14,
        "solution_page_url": "https://example.com/claimflow",
    },
    "services-offer": {
        "offer_name": "Claims triage assessment",
        "entry_point": "Assessment",
        "duration_weeks": 3,
        "price_band": "USD 25k to 75k",
        "deliverables": "Inventory of intake channels, a triage model baseline and a wave plan for insurers.",
        "customer_outcome": "A business case showing triage time cut by 60% within one quarter.",
        "times_delivered": 6,
    },
    "use-case-writeup": {
        "use_case_title": "Claims document intake for regional insurers",
        "industry": "Insurance",
        "problem": "Manual triage takes 2 days per claim and adjusters re-key data from PDFs.",
        "approach": "Document AI on the platform, routing rules and a reviewer queue for edge cases.",
        "outcome_metric": "70% of claims triaged in under an hour after 8 weeks",
        "time_to_value_weeks": 8,
        "times_repeated": 4,
        "reference_status": "Named reference available",
    },
    "deal-anatomy": {
        "opportunity_name": "Fabrikam claims intake",
        "partner_role": "Sourced (we brought the opportunity)",
        "deal_stage": "Business case or proposal",
        "estimated_acv_usd": 180000,
        "purchase_route": "Marketplace private offer",
        "next_step": "Business case review with the VP Claims Operations on 12 Nov",
    },
    "win-loss-feedback": {
        "outcome": "Won",
        "ae_engagement": "AE brought us in before discovery",
        "what_worked": "The assessment as an entry point; the insurer reference call closed it.",
        "main_objection": "Data residency, answered with the platform's regional controls.",
        "reuse": ["Packaged offer or entry point", "Customer reference"],
    },
    "customer-reference": {
        "customer_name": "Fabrikam Insurance",
        "reference_types": ["Reference call with prospects", "Written case study"],
        "reference_outcome": "Claims triage from 2 days to 45 minutes within 8 weeks of go-live.",
        "approved_on": "2026-11-20",
        "reference_owner": "refs@example.com",
    },
}
THIN: dict[str, dict[str, Any]] = {
    "icp-profile": {
        "target_industries": ["Software and internet"],
        "company_sizes": ["Enterprise (2,500 to 10,000 employees)"],
        "regions": ["North America"],
        "primary_buyer": "IT",
        "value_proposition": "We are a leading innovative partner with end-to-end cloud expertise.",
        "trigger_events": "When they want to move to the cloud quickly.",
    },
    "solution-profile": {
        "solution_name": "Cloud",
        "solution_type": "Professional services",
        "deployment_model": "Services only, no software",
        "production_customers": 0,
        "certified_staff": 2,
        "solution_page_url": "https://example.com",
    },
    "services-offer": {
        "offer_name": "Cloud services",
        "entry_point": "Implementation project",
        "duration_weeks": 1,
        "price_band": "Under USD 25k",
        "deliverables": "Whatever the customer needs in the cloud.",
        "customer_outcome": "Happy customers.",
        "times_delivered": 0,
    },
    "use-case-writeup": {
        "use_case_title": "Cloud",
        "industry": "Cross-industry",
        "problem": "They need the cloud.",
        "approach": "We move things to the cloud.",
        "outcome_metric": "Better results",
        "time_to_value_weeks": 1,
        "times_repeated": 1,
        "reference_status": "Customer not asked yet",
    },
}


@cache
def si_steps() -> tuple[tuple[str, datetime, Step], ...]:
    """(stage, when the stage starts, step) for an SI, in journey order."""
    playbook = load_playbook(CONTENT_DIR / "cloud-cosell-90d")
    out, starts = [], START
    for stage in playbook.stages:
        out += [(stage.key.value, starts, step) for _, step in stage_steps(stage, "SI", [], 3)]
        starts += stage.duration_days * DAY
    return tuple(out)


@dataclass(frozen=True)
class Pace:
    """How a partner acts on each invite: days to open, days to finish (None: never), reminders."""

    seen: float | None = 0.2
    done: float | None = 2.0
    reminders: int = 0
    until_day: int = 999  # stops acting on invites sent after this day


def walk(pid: str, pace: Pace, as_of: datetime, answers: dict[str, dict[str, Any]]) -> tuple[list, list]:
    steps, subs, invite = [], [], START
    for stage, stage_starts, step in si_steps():
        invite = max(invite, stage_starts)  # a stage's first step waits for the stage
        if invite > as_of:
            break
        due = invite + step.due_days * DAY
        acts = (invite - START) / DAY <= pace.until_day
        seen = invite + pace.seen * DAY if acts and pace.seen is not None else None
        done = invite + pace.done * DAY if acts and pace.done is not None else None
        done = done if done and done <= as_of else None
        cadence = step.reminders.max_reminders if step.reminders else 2
        reminders = cadence if not acts else min(pace.reminders, cadence)
        steps.append(
            StepFact(
                journey_id=f"journey/c-1/{pid}",
                step_key=step.key,
                title=step.title,
                kind=step.kind.value,
                stage=stage,
                invited_at=invite,
                due_at=due,
                reminders_sent=reminders,
                max_reminders=cadence,
                first_seen_at=seen if seen and seen <= as_of else None,
                completed_at=done,
            )
        )
        kinds = answer_kinds_of(step.kind.value, [s.value for s in step.signals], [f.key for f in step.fields])
        if done and kinds and step.key in answers:
            subs.append(
                Submission(
                    step_key=step.key,
                    title=step.title,
                    answer_kinds=kinds,
                    answers=answers[step.key],
                    submitted_at=done,
                )
            )
        invite = done if done else due
    return steps, subs


def partner(
    pid: str, pace: Pace, as_of: datetime, answers: dict[str, dict[str, Any]] = THOROUGH, **extra: Any
) -> PartnerFacts:
    steps, subs = walk(pid, pace, as_of, answers)
    reviews: dict[str, Review] = extra.pop("reviews", {})
    subs = [s.model_copy(update={"review": reviews[s.step_key]}) if s.step_key in reviews else s for s in subs]
    values: dict[str, Any] = dict(
        partner_id=pid,
        name=pid.replace("-", " ").title(),
        type="SI",
        verticals=("Insurance",),
        region="North America",
        joined_at=START,
        steps=tuple(steps),
        submissions=tuple(subs),
        accounts_uploaded=120,
        overlapping=OVERLAP,
    )
    values.update(extra)
    return PartnerFacts(**values)


def intro(
    n: int, status: str, requested: datetime, answered: datetime | None = None, account: str = OVERLAP[0]
) -> IntroFact:
    return IntroFact(
        intro_id=f"intro-{n}",
        account_name=account,
        ae_id="ae-dana",
        ae_name="Dana Reyes",
        status=status,  # type: ignore[arg-type]
        requested_at=requested,
        answered_at=answered,
    )


def deal(
    n: int, stage: str, registered: datetime, updated: datetime, account: str = OVERLAP[0], **extra: Any
) -> DealFact:
    return DealFact(
        deal_id=f"deal-{n}",
        account_name=account,
        stage=stage,  # type: ignore[arg-type]
        partner_role="sourced",
        ae_id="ae-dana",
        ae_name="Dana Reyes",
        amount=180_000,
        registered_at=registered,
        updated_at=updated,
        **extra,
    )
