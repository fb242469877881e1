"""The journey map a step page and email show is scoped to the link's partner and journey: another partner's
deals and intro requests (same program, same cohort) never appear; steps read as where the partner stands."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from db.cosell_models import Deal, IntroRequest
from db.repositories import journeys
from db.session import SessionFactory, transaction
from db.views.journey_map import JourneyMap, journey_map
from db.views.journeys import journey_facts
from tests.deal_data import add_account, add_ae, program_id
from tests.factories import create_cohort, partner
from tests.workflows.helpers import partner_ids
from workflows.journey.messages import journey_id

pytestmark = pytest.mark.timeout(60)
STARTS = datetime(2026, 11, 2, 9, tzinfo=UTC)


async def _journey(sessions: SessionFactory, cohort_id: str, pid: str, steps: dict[str, str]) -> str:
    jid = journey_id(cohort_id, pid)
    async with transaction(sessions) as session:
        await journeys.save_journey(
            session,
            dict(
                id=jid,
                cohort_id=cohort_id,
                partner_id=pid,
                stage="awareness",
                status="waiting",
                started_at=STARTS,
                updated_at=STARTS,
            ),
        )
        for n, (key, status) in enumerate(steps.items()):
            values = dict(journey_id=jid, step_key=key, stage="awareness", play_key="-", status="invited")
            values |= dict(invited_at=STARTS, due_at=STARTS + timedelta(days=5 + n), reminders_sent=0)
            await journeys.save_step(session, values)
            if status != "invited":
                await journeys.mark_step(session, jid, key, status=status)
    return jid


async def _dealings(sessions: SessionFactory, jid: str, pid: str, program: str, account: str, ae: str) -> None:
    async with transaction(sessions) as session:
        session.add(
            Deal(
                id=str(uuid.uuid4()),
                program_id=program,
                partner_id=pid,
                journey_id=jid,
                account_name=f"Deal of {pid[:8]}",
                account_key=pid,
                source="partner",
                stage="accepted",
                partner_role="sourced",
                registered_at=STARTS + timedelta(days=1),
            )
        )
        session.add(
            IntroRequest(
                id=str(uuid.uuid4()),
                journey_id=jid,
                step_key="ae-intros",
                partner_id=pid,
                vendor_account_id=account,
                ae_id=ae,
                reason="why now",
                status="sent",
                requested_at=STARTS + timedelta(days=2),
            )
        )


async def _map(sessions: SessionFactory, jid: str, step_key: str) -> JourneyMap:
    """The map of one journey, read (as the pages read it) in two statements whatever the journey holds."""
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    async with transaction(sessions) as session:
        facts = await journey_facts(session, jid)
        assert facts is not None
        event.listen(Engine, "before_cursor_execute", count)
        try:
            found = await journey_map(session, facts, step_key)
        finally:
            event.remove(Engine, "before_cursor_execute", count)
    assert len(statements) == 2, statements
    return found


async def test_the_map_shows_only_this_partners_deals_and_intros(sessions: SessionFactory) -> None:
    cohort = await create_cohort(sessions, [partner("Alpha Analytics"), partner("Beta Builders")], starts_at=STARTS)
    alpha, beta = await partner_ids(sessions, cohort.id)
    program = await program_id(sessions)
    ae = await add_ae(sessions, "dana.whitfield@vendor.example", "Dana Whitfield")
    account = await add_account(sessions, "0015g00000XyZ01AAF", "Contoso Pharmaceuticals", "contoso.example", ae)
    jids = {}
    for pid in (alpha, beta):
        jids[pid] = await _journey(sessions, cohort.id, pid, {"icp": "completed", "rules": "invited"})
        await _dealings(sessions, jids[pid], pid, program, account, ae)
    seen = await _map(sessions, jids[alpha], "rules")
    assert [(d.account, d.status) for d in seen.deals] == [(f"Deal of {alpha[:8]}", "accepted")]
    assert [(d.account, d.status) for d in seen.intros] == [("Contoso Pharmaceuticals", "with the AE")]
    [awareness, *later] = seen.stages
    assert awareness.state == "current" and {s.state for s in later} == {"to come"}
    statuses = {s.key: (s.status, s.here) for s in awareness.steps}
    assert statuses["icp"] == ("done", False) and statuses["rules"] == ("open", True)
    assert seen.place.startswith("Step 2 of ")
    assert seen.next_up and seen.next_up[0].status == "to come" and seen.next_up[0].due_at is None
