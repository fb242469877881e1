"""Realistic partners (tests/intel_data.py) written to the database as a journey would leave them.

`store` shifts every moment by `shift`, so a partner judged at `as_of` in the pure tests can be judged
at a review's clock (the test server's now) with the same scores.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import update

from db.cosell_models import Deal
from db.models import Journey, JourneyStep, Partner
from db.session import SessionFactory, transaction
from domain.intel.facts import PartnerFacts
from tests.deal_data import program_id
from tests.factories import create_cohort, partner
from tests.workflows.helpers import partner_ids


def _at(moment: datetime | None, shift: timedelta) -> datetime | None:
    return moment + shift if moment is not None else None


async def store(sessions: SessionFactory, facts: PartnerFacts, shift: timedelta, tier: int) -> str:
    """One SI on the 90-day playbook, in the "Test program" (PM pm@vendor.example), at `tier`; its id."""
    cohort = await create_cohort(
        sessions,
        [partner(facts.name, "SI")],
        starts_at=facts.joined_at + shift,
        playbook_id="cloud-cosell-90d",
        pm_email="pm@vendor.example",
    )
    [pid] = [p for p in await partner_ids(sessions, cohort.id)]
    jid = f"journey/{cohort.id}/{pid}"
    answers = {s.step_key: s.answers for s in facts.submissions}
    program = await program_id(sessions)
    async with transaction(sessions) as session:
        await session.execute(update(Partner).where(Partner.id == pid).values(tier=tier))
        start = facts.joined_at + shift
        session.add(
            Journey(
                id=jid,
                cohort_id=cohort.id,
                partner_id=pid,
                stage="activation",
                status="waiting",
                started_at=start,
                updated_at=start,
            )
        )
        await session.flush()
        for s in facts.steps:
            session.add(
                JourneyStep(
                    journey_id=jid,
                    step_key=s.step_key,
                    stage=s.stage,
                    play_key="p",
                    status="completed" if s.completed_at else "overdue",
                    invited_at=s.invited_at + shift,
                    due_at=s.due_at + shift,
                    reminders_sent=s.reminders_sent,
                    completed_at=_at(s.completed_at, shift),
                    submission=answers.get(s.step_key) if s.completed_at else None,
                )
            )
        session.add_all(_deals(facts, shift, pid, cohort.id, program))
    return pid


def _deals(facts: PartnerFacts, shift: timedelta, pid: str, cohort_id: str, program: str) -> list[Deal]:
    return [
        Deal(
            id=str(uuid.uuid4()),
            program_id=program,
            partner_id=pid,
            cohort_id=cohort_id,
            account_name=d.account_name,
            account_key=d.account_name.lower(),
            source=d.source,
            stage=d.stage,
            partner_role=d.partner_role,
            amount=d.amount,
            registered_at=d.registered_at + shift,
            updated_at=d.updated_at + shift,
            closed_at=_at(d.closed_at, shift),
        )
        for d in facts.deals
    ]
