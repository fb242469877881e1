"""The tier review bench's partners, written to the database the way journeys and the API would leave them.

Facts come from bench.scoring.make (a seeded mix of prompt, late and silent SIs on the 90-day playbook
with intros, deals and AE feedback), shifted so that "now" is day 90 of their window.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import DeclarativeBase

from bench.scoring import AS_OF, make
from db.cosell_models import AccountExecutive, AeFeedback, Deal, IntroRequest, VendorAccount
from db.models import Cohort, CohortMember, Journey, JourneyStep, Partner, Program
from db.session import SessionFactory, transaction
from domain.intel.facts import PartnerFacts
from playbooks.loader import CONTENT_DIR, load_playbook
from tests.intel_data import OVERLAP, START

PROGRAM, COHORT, AE = "bench-program", "bench-cohort", "ae-dana"
CHUNK = 2_000  # rows per INSERT: under Postgres' bind-parameter limit for these tables


def _vendor_side() -> dict[type[DeclarativeBase], list[dict[str, Any]]]:
    return {
        AccountExecutive: [dict(id=AE, email="dana.reyes@vendor.example", name="Dana Reyes")],
        VendorAccount: [
            dict(id=f"va-{i}", crm_id=f"crm-{i}", source="salesforce", name=name, name_key=name.lower(), owner_ae_id=AE)
            for i, name in enumerate(OVERLAP)
        ],
        Program: [dict(id=PROGRAM, name="Bench program", pm_email="pm@vendor.example")],
    }


def _partner_rows(f: PartnerFacts, tier: int, shift: timedelta, rows: dict[type, list[dict[str, Any]]]) -> None:
    jid = f"journey/{COHORT}/{f.partner_id}"
    answers = {s.step_key: s.answers for s in f.submissions}
    rows[Partner].append(dict(id=f.partner_id, name=f.name, type="SI", verticals=list(f.verticals), tier=tier))
    rows[CohortMember].append(dict(cohort_id=COHORT, partner_id=f.partner_id))
    rows[Journey].append(
        dict(
            id=jid,
            cohort_id=COHORT,
            partner_id=f.partner_id,
            stage="activation",
            status="waiting",
            started_at=START + shift,
            updated_at=AS_OF + shift,
        )
    )
    for s in f.steps:
        done = s.completed_at + shift if s.completed_at else None
        rows[JourneyStep].append(
            dict(
                journey_id=jid,
                step_key=s.step_key,
                stage=s.stage,
                play_key="p",
                status="completed" if done else "overdue",
                invited_at=s.invited_at + shift,
                due_at=s.due_at + shift,
                reminders_sent=s.reminders_sent,
                completed_at=done,
                submission=answers.get(s.step_key) if done else None,
            )
        )
    _around(f, jid, shift, rows)


def _around(f: PartnerFacts, jid: str, shift: timedelta, rows: dict[type, list[dict[str, Any]]]) -> None:
    for k, i in enumerate(f.intros):
        answered = i.answered_at + shift if i.answered_at else None
        account = f"va-{OVERLAP.index(i.account_name)}"
        rows[IntroRequest].append(
            dict(
                id=f"{i.intro_id}-{f.partner_id}",
                journey_id=jid,
                step_key=f"ae-intro-request-{k}",
                partner_id=f.partner_id,
                vendor_account_id=account,
                ae_id=AE,
                reason="Same trigger as our last win",
                status=i.status,
                requested_at=i.requested_at + shift,
                answered_at=answered,
            )
        )
    for d in f.deals:
        when = dict(registered_at=d.registered_at + shift, updated_at=d.updated_at + shift)
        closed = d.closed_at + shift if d.closed_at and d.stage.startswith("closed") else None
        rows[Deal].append(
            dict(
                id=d.deal_id,
                program_id=PROGRAM,
                partner_id=f.partner_id,
                cohort_id=COHORT,
                account_name=d.account_name,
                account_key=d.account_name.lower(),
                ae_id=AE,
                source="partner",
                stage=d.stage,
                partner_role=d.partner_role,
                amount=d.amount,
                closed_at=closed,
                **when,
            )
        )
    for fb in f.feedback:
        at = (fb.submitted_at or AS_OF) + shift
        rows[AeFeedback].append(
            dict(
                deal_id=fb.deal_id,
                ae_id=AE,
                partner_id=f.partner_id,
                status="submitted",
                requested_at=at - timedelta(days=3),
                expires_at=at + timedelta(days=11),
                contribution=fb.contribution,
                role_clarity=fb.role_clarity,
                responsiveness=fb.responsiveness,
                invite_again=fb.invite_again,
                submitted_at=at,
            )
        )


async def seed(sessions: SessionFactory, partners: int, seed: int, now: datetime) -> int:
    """Write `partners` partners (a tenth typed in at Tier 2 and a twentieth at Tier 1); the rows written."""
    rng, shift = random.Random(seed), now - AS_OF
    rows: dict[type, list[dict[str, Any]]] = {**_vendor_side()}
    rows[Cohort] = [
        dict(
            id=COHORT,
            program_id=PROGRAM,
            name="Bench cohort",
            playbook_id="cloud-cosell-90d",
            playbook_version=load_playbook(CONTENT_DIR / "cloud-cosell-90d").version,
            starts_at=START + shift,
            ends_at=START + shift + timedelta(days=90),
            status="running",
        )
    ]
    for model in (Partner, CohortMember, Journey, JourneyStep, IntroRequest, Deal, AeFeedback):
        rows[model] = []
    for n in range(partners):
        draw = rng.random()
        _partner_rows(make(rng, n), 1 if draw < 0.05 else 2 if draw < 0.15 else 3, shift, rows)
    written = 0
    async with transaction(sessions) as session:
        for model, values in rows.items():
            for start in range(0, len(values), CHUNK):
                await session.execute(insert(model), values[start : start + CHUNK])
            written += len(values)
    return written
