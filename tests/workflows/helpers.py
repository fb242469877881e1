from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import select
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from api.cohorts.schemas import CohortOut
from db.models import CohortMember, EmailOutbox, JourneyEvent, JourneyStep, Partner
from db.repositories import playbooks as repo
from db.session import SessionFactory, transaction
from settings import Settings
from tests.pending import pending_report
from worker import build_worker
from workflows.journey.messages import JourneyInput, journey_id
from workflows.journey.workflow import PartnerJourneyWorkflow


@asynccontextmanager
async def running_worker(
    client: Client, settings: Settings, sessions: SessionFactory, **options: Any
) -> AsyncIterator[Worker]:
    """A worker for the test's body; if the body fails or times out, say what Temporal still had pending."""
    worker = build_worker(client, settings, sessions, **options)
    async with worker:
        try:
            yield worker
        except BaseException:
            report = await pending_report(client, settings.task_queue)
            sys.stdout.write(f"Pending on task queue {settings.task_queue}:\n{report}\n")  # shown with the failure
            raise


async def start_journey(
    client: Client, settings: Settings, cohort: CohortOut, partner_id: str, ends_at: datetime | None = None
) -> WorkflowHandle:
    ref = repo.PlaybookRef(
        playbook_id=cohort.playbook.id, version=cohort.playbook.version, sha256=cohort.playbook.sha256
    )
    inp = JourneyInput(
        cohort_id=cohort.id, partner_id=partner_id, playbook=ref, window_ends_at=ends_at or cohort.ends_at
    )
    return await client.start_workflow(
        PartnerJourneyWorkflow.run, inp, id=journey_id(cohort.id, partner_id), task_queue=settings.task_queue
    )


async def events(sessions: SessionFactory, jid: str) -> list[JourneyEvent]:
    async with transaction(sessions) as session:
        rows = await session.scalars(
            select(JourneyEvent)
            .where(JourneyEvent.journey_id == jid)
            .order_by(JourneyEvent.occurred_at, JourneyEvent.id)
        )
        return list(rows)


async def emails(sessions: SessionFactory, jid: str) -> list[EmailOutbox]:
    async with transaction(sessions) as session:
        rows = await session.scalars(
            select(EmailOutbox).where(EmailOutbox.journey_id == jid).order_by(EmailOutbox.created_at)
        )
        return list(rows)


async def steps(sessions: SessionFactory, jid: str) -> dict[str, JourneyStep]:
    async with transaction(sessions) as session:
        return {s.step_key: s for s in await session.scalars(select(JourneyStep).where(JourneyStep.journey_id == jid))}


async def partner_ids(sessions: SessionFactory, cohort_id: str) -> list[str]:
    async with transaction(sessions) as session:
        rows = await session.execute(
            select(Partner.id, Partner.name)
            .join(CohortMember, CohortMember.partner_id == Partner.id)
            .where(CohortMember.cohort_id == cohort_id)
            .order_by(Partner.name)
        )
        return [r[0] for r in rows]
