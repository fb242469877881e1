"""Gates on signals, on the time-skipping server: quickstart's awareness gate also asks for field advocacy
30 and one AE who would invite the partner again. A partner with readiness but no AE feedback is held
with the reasons; one an AE vouched for passes, and the scores the gate judged are on the timeline."""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta

import pytest
from temporalio.testing import WorkflowEnvironment

from db.cosell_models import AeFeedback, Deal
from db.models import JourneyEvent
from db.repositories import playbooks as repo
from db.session import SessionFactory, transaction
from playbooks.loader import shipped_playbooks
from playbooks.model import Playbook
from tests.deal_data import add_ae, program_id
from tests.factories import create_cohort, partner, settings_for
from tests.waiting import eventually
from tests.workflows.helpers import events, partner_ids, running_worker, start_journey
from tests.workflows.test_replay import save
from workflows.journey.messages import StepSubmission, journey_id
from workflows.journey.workflow import PartnerJourneyWorkflow

ICP = {"industry": "Healthcare", "company_size": "800", "trigger": "Exiting their data centre next year"}
GATE = {"min_readiness": 20, "min_signals": {"field_advocacy": 30}, "min_advocates": 1, "on_fail": "hold"}


def signal_gated() -> Playbook:
    doc = {p.id: p for p in shipped_playbooks()}["quickstart-14d"].model_dump(mode="json")
    doc["stages"][0]["gate"] = GATE
    return Playbook.model_validate({**doc, "id": "quickstart-advocated"})


async def vouched_for(sessions: SessionFactory, partner_id: str, now: datetime) -> None:
    """A won deal whose AE answered the feedback form: would invite them again."""
    ae = await add_ae(sessions, "dana.whitfield@vendor.example", "Dana Whitfield")
    program = await program_id(sessions)
    deal = str(uuid.uuid4())
    async with transaction(sessions) as session:
        session.add(
            Deal(
                id=deal,
                program_id=program,
                partner_id=partner_id,
                account_name="Contoso Pharmaceuticals",
                account_key="contoso-pharma.com",
                ae_id=ae,
                source="pm",
                stage="closed_won",
                partner_role="sourced",
                registered_at=now - timedelta(days=30),
                closed_at=now - timedelta(days=2),
            )
        )
        await session.flush()
        answer = dict(contribution="sourced", role_clarity=5, responsiveness=5, invite_again=True)
        session.add(
            AeFeedback(
                deal_id=deal,
                ae_id=ae,
                partner_id=partner_id,
                status="submitted",
                requested_at=now - timedelta(days=2),
                expires_at=now + timedelta(days=12),
                submitted_at=now - timedelta(days=1),
                **answer,
            )
        )


async def run_to_gate(env: WorkflowEnvironment, sessions: SessionFactory, vouched: bool) -> tuple[str, JourneyEvent]:
    """Readiness 30 of the 20 the gate asks; the gate's event once the awareness stage ends."""
    async with transaction(sessions) as session:
        await repo.publish(session, signal_gated())
    settings = settings_for(sessions)
    now = await env.get_current_time()
    cohort = await create_cohort(sessions, [partner()], starts_at=now, playbook_id="quickstart-advocated")
    [pid] = await partner_ids(sessions, cohort.id)
    if vouched:
        await vouched_for(sessions, pid, now)
    jid = journey_id(cohort.id, pid)
    async with running_worker(env.client, settings, sessions):
        handle = await start_journey(env.client, settings, cohort, pid)
        await env.sleep(timedelta(hours=1))
        await handle.execute_update(PartnerJourneyWorkflow.complete_step, StepSubmission(step_key="icp", answers=ICP))
        await env.sleep(timedelta(hours=1))
        rules = StepSubmission(step_key="rules", answers={"acknowledged": "yes"})
        await env.client.get_workflow_handle(jid).execute_update(PartnerJourneyWorkflow.complete_step, rules)

        async def gate_event() -> JourneyEvent | None:
            return next((e for e in await events(sessions, jid) if e.kind in ("gate_passed", "gate_held")), None)

        return jid, await eventually(gate_event, what="the awareness gate's decision")


@pytest.mark.timeout(120)
async def test_a_gate_holds_a_partner_no_ae_vouched_for(
    ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
) -> None:
    _, gate = await run_to_gate(ts_env, sqlite_sessions, vouched=False)
    assert gate.kind == "gate_held"
    assert gate.data["readiness"] == 30 and gate.data["signals"]["field_advocacy"] == 0
    assert gate.data["advocates"] == 0
    assert gate.data["reason"] == (
        "field advocacy 0 is below the Get clear on who you sell to gate of 30; "
        "0 AE(s) would invite them again; the Get clear on who you sell to gate needs 1"
    )


@pytest.mark.timeout(120)
async def test_a_gate_passes_a_partner_an_ae_would_invite_again(
    ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
) -> None:
    _, gate = await run_to_gate(ts_env, sqlite_sessions, vouched=True)
    assert gate.kind == "gate_passed", gate.data
    assert gate.data["advocates"] == 1 and gate.data["signals"]["field_advocacy"] >= 30
    assert gate.data["required_signals"] == {"field_advocacy": 30} and gate.data["required_advocates"] == 1
    assert set(gate.data["signals"]) >= {"gtm_readiness", "behavior"}


@pytest.mark.skipif(not os.environ.get("COSELL_RECORD_HISTORIES"), reason="set COSELL_RECORD_HISTORIES=1 to re-record")
async def test_record_signal_gate_history(ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory) -> None:
    """The awareness stage of a partner held at a gate on signals: scored in an activity, then held."""
    jid, _ = await run_to_gate(ts_env, sqlite_sessions, vouched=False)
    save("journey-signal-gate-held", await ts_env.client.get_workflow_handle(jid).fetch_history())
