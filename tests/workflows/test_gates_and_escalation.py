"""Stage gates (advance, hold + each PM decision, exit) and stall escalation, on simulated time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from temporalio.testing import WorkflowEnvironment

from db.repositories import playbooks as repo
from db.session import SessionFactory, transaction
from playbooks.loader import shipped_playbooks
from tests.factories import create_cohort, partner, settings_for
from tests.workflows.helpers import emails, events, partner_ids, running_worker, start_journey
from workflows.journey.messages import GateDecision, StepSubmission, journey_id
from workflows.journey.workflow import PartnerJourneyWorkflow

QUICKSTART = {p.id: p for p in shipped_playbooks()}["quickstart-14d"]
ICP = {"industry": "Healthcare", "company_size": "800", "trigger": "Exiting their data centre next year"}
PM_EMAIL = "pm@vendor.example"


async def journey(ts_env: WorkflowEnvironment, sessions: SessionFactory, playbook_id: str = "quickstart-14d"):  # type: ignore[no-untyped-def]
    now = await ts_env.get_current_time()
    cohort = await create_cohort(sessions, [partner()], starts_at=now, playbook_id=playbook_id, pm_email=PM_EMAIL)
    [pid] = await partner_ids(sessions, cohort.id)
    return cohort, pid, journey_id(cohort.id, pid)


def kinds(rows) -> list[str]:  # type: ignore[no-untyped-def]
    return [e.kind for e in rows]


class TestGates:
    async def test_ready_partner_passes_the_gate_and_enters_the_next_stage(
        self, ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
    ) -> None:
        settings = settings_for(sqlite_sessions)
        cohort, pid, jid = await journey(ts_env, sqlite_sessions)
        async with running_worker(ts_env.client, settings, sqlite_sessions):
            handle = await start_journey(ts_env.client, settings, cohort, pid)
            await ts_env.sleep(timedelta(hours=1))
            await handle.execute_update(
                PartnerJourneyWorkflow.complete_step, StepSubmission(step_key="icp", answers=ICP)
            )
            await ts_env.sleep(timedelta(hours=1))
            await ts_env.client.get_workflow_handle(jid).execute_update(
                PartnerJourneyWorkflow.complete_step, StepSubmission(step_key="rules", answers={"acknowledged": "yes"})
            )
            await ts_env.sleep(timedelta(hours=1))
        timeline = await events(sqlite_sessions, jid)
        gate = next(e for e in timeline if e.kind == "gate_passed")
        assert gate.data == {"readiness": 30, "required": 20}
        assert [e.stage for e in timeline if e.kind == "stage_entered"] == ["awareness", "activation"]

    @pytest.mark.parametrize("decision", ["advance", "extend", "exit"])
    async def test_unready_partner_is_held_and_the_pm_decides(
        self, decision: str, ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
    ) -> None:
        settings = settings_for(sqlite_sessions)
        cohort, pid, jid = await journey(ts_env, sqlite_sessions)
        async with running_worker(ts_env.client, settings, sqlite_sessions):
            await start_journey(ts_env.client, settings, cohort, pid)
            await ts_env.sleep(timedelta(days=5, hours=1))  # both awareness steps run out, nothing done
            held = await ts_env.client.get_workflow_handle(jid).query(PartnerJourneyWorkflow.progress)
            assert held.status == "held"
            await ts_env.client.get_workflow_handle(jid).signal(
                PartnerJourneyWorkflow.decide_gate,
                GateDecision(decision=decision, extend_days=4, reason="talked to them"),
            )
            await ts_env.sleep(timedelta(hours=2))
            after = await ts_env.client.get_workflow_handle(jid).query(PartnerJourneyWorkflow.progress)
        timeline = await events(sqlite_sessions, jid)
        assert "gate_held" in kinds(timeline)
        decided = next(e for e in timeline if e.kind == "gate_decided")
        assert decided.data["decision"] == decision and decided.data["reason"] == "talked to them"
        pm_mail = [m for m in await emails(sqlite_sessions, jid) if m.kind == "pm_gate_held"]
        assert len(pm_mail) == 1 and pm_mail[0].to_email == PM_EMAIL
        assert "Partners never see it" in pm_mail[0].html and "is part of the" not in pm_mail[0].html
        if decision == "advance":
            assert after.stage == "activation" and after.open_step and after.open_step.step_key == "target-account"
        elif decision == "extend":
            assert after.stage == "awareness" and after.open_step and after.open_step.step_key == "icp"
            invites = [e for e in timeline if e.kind == "step_invited" and e.step_key == "icp"]
            assert len(invites) == 1  # the second chance is a new invite run, recorded once per (step, n)
        else:
            assert after.status == "exited"
            exit_event = next(e for e in timeline if e.kind == "journey_exited")
            assert exit_event.data["reason"] == "talked to them"

    async def test_gate_with_on_fail_exit_ends_the_journey(
        self, ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
    ) -> None:
        strict = QUICKSTART.model_validate(
            {
                **QUICKSTART.model_dump(mode="json"),
                "id": "quickstart-strict",
                "stages": [
                    {
                        **QUICKSTART.model_dump(mode="json")["stages"][0],
                        "gate": {"min_readiness": 20, "on_fail": "exit"},
                    },
                    *QUICKSTART.model_dump(mode="json")["stages"][1:],
                ],
            }
        )
        async with transaction(sqlite_sessions) as session:
            await repo.publish(session, strict)
        settings = settings_for(sqlite_sessions)
        cohort, pid, jid = await journey(ts_env, sqlite_sessions, playbook_id="quickstart-strict")
        async with running_worker(ts_env.client, settings, sqlite_sessions):
            handle = await start_journey(ts_env.client, settings, cohort, pid)
            result = await handle.result()
        assert result.status == "exited" and result.overdue == ["icp", "rules"]
        exit_event = next(e for e in await events(sqlite_sessions, jid) if e.kind == "journey_exited")
        assert exit_event.data["reason"] == "readiness 0 is below the Get clear on who you sell to gate of 20"


class TestEscalation:
    async def test_a_stalled_partner_is_escalated_to_the_pm_once(
        self, ts_env: WorkflowEnvironment, sqlite_sessions: SessionFactory
    ) -> None:
        settings = settings_for(sqlite_sessions)
        cohort, pid, jid = await journey(ts_env, sqlite_sessions)
        async with running_worker(ts_env.client, settings, sqlite_sessions):
            await start_journey(ts_env.client, settings, cohort, pid)
            await ts_env.sleep(timedelta(days=5, hours=1))
        timeline = await events(sqlite_sessions, jid)
        overdue = [e for e in timeline if e.kind == "step_overdue"]
        assert [e.data["stalled"] for e in overdue] == [True, True]  # 3-day threshold passed at the first
        escalations = [e for e in timeline if e.kind == "escalated"]
        assert len(escalations) == 1 and "no step completed for 3 days" in escalations[0].data["reason"]
        assert [m.kind for m in await emails(sqlite_sessions, jid)].count("pm_escalated") == 1
