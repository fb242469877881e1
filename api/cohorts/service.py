"""Create cohorts, launch their windows, and read their progress from the read model."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Collection
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from api.api_keys import actor_of
from api.cohorts.progress import progress
from api.cohorts.schemas import (
    CohortClone,
    CohortCreate,
    CohortFilter,
    CohortOut,
    CohortRename,
    PartnerIn,
)
from api.errors import AppError, Conflict, NotFound, Unavailable
from db.models import AuditLog, Cohort, CohortMember, Journey, Partner, PartnerContact, PlaybookSnapshot, Program

__all__ = ["Journey", "clone", "create", "get", "launch", "listing", "progress", "rename", "upsert_partner"]
from db.repositories import cohorts as cohort_repo
from db.repositories import partners, programs
from db.repositories import playbooks as playbook_repo
from workflows.window.messages import WindowInput
from workflows.window.workflow import ActivationWindowWorkflow


async def _program(session: AsyncSession, name: str, pm_email: str | None) -> Program:
    program = await programs.by_name(session, name)
    if program is not None and program.archived_at is not None:
        raise Conflict(f"program {name!r} is archived; it takes no new cohorts", {"program": name})
    if program is None:
        program = Program(id=str(uuid.uuid4()), name=name, pm_email=pm_email or "")
        session.add(program)
        await session.flush()
    elif pm_email:
        program.pm_email = pm_email
    return program


async def upsert_partner(session: AsyncSession, data: PartnerIn) -> Partner:
    partner = None
    if data.external_id:
        partner = await partners.by_external_id(session, data.external_id)
    if partner is None:
        # A blank external id is no id: stored as one, two partners without ids would collide (unique).
        partner = Partner(id=str(uuid.uuid4()), external_id=data.external_id or None)
        session.add(partner)
    partner.name, partner.type, partner.verticals = data.name, data.type.value, data.verticals
    partner.region, partner.timezone, partner.tier = data.region, data.timezone, data.tier
    partner.country = data.holiday_country
    await session.flush()
    existing = await partners.contacts_by_email(session, partner.id)
    listed: set[str] = set()
    for index, contact in enumerate(data.contacts):
        if contact.email in listed:  # an address listed twice is one contact, as first given (it was a 500)
            continue
        listed.add(contact.email)
        row = existing.get(contact.email) or PartnerContact(partner_id=partner.id, email=contact.email)
        row.name, row.role, row.is_primary = contact.name, contact.role, index == 0
        session.add(row)
    for email, row in existing.items():
        if email not in listed:
            row.is_primary = False
    return partner


START_GRACE = timedelta(hours=1)


def invalid(path: str, message: str) -> AppError:
    """A 422 in the same shape as a payload validation error, naming the field."""
    return AppError("invalid request", [{"path": path, "message": message}], status_code=422)


def check_window(starts_at: datetime, ends_at: datetime | None, now: datetime) -> None:
    """A start more than START_GRACE ago is a typo, not a backdated window; the end must follow the start."""
    if starts_at < now - START_GRACE:
        raise invalid("starts_at", f"is more than {START_GRACE} in the past ({starts_at.isoformat()})")
    if ends_at is not None and ends_at <= starts_at:
        raise invalid("ends_at", f"must be after starts_at ({starts_at.isoformat()})")


async def create(session: AsyncSession, body: CohortCreate) -> CohortOut:
    snapshot = await playbook_repo.get(session, body.playbook_id, body.playbook_version)
    if snapshot is None:
        version = f" version {body.playbook_version}" if body.playbook_version else ""
        raise NotFound(f"playbook {body.playbook_id!r}{version} is not published", {"playbook_id": body.playbook_id})
    duplicates = [k for k, n in Counter(p.external_id for p in body.partners if p.external_id).items() if n > 1]
    if duplicates:
        raise AppError("a partner appears twice in this cohort", {"external_ids": duplicates}, status_code=422)
    if body.ends_at is not None and body.duration_days is not None:
        raise invalid("ends_at", "give ends_at or duration_days, not both")
    starts_at = (body.starts_at or datetime.now(UTC)).astimezone(UTC)
    if body.ends_at is not None and body.ends_at <= starts_at:
        raise invalid("ends_at", f"must be after starts_at ({starts_at.isoformat()})")
    program = await _program(session, body.program, body.pm_email)
    playbook = playbook_repo.to_model(snapshot)
    cohort = Cohort(
        id=str(uuid.uuid4()),
        program_id=program.id,
        name=body.name,
        playbook_id=snapshot.playbook_id,
        playbook_version=snapshot.version,
        starts_at=starts_at,
        ends_at=(body.ends_at or starts_at + timedelta(days=body.duration_days or playbook.total_days)).astimezone(UTC),
        status="launching",
    )
    session.add(cohort)
    await session.flush()
    for data in body.partners:
        partner = await upsert_partner(session, data)
        session.add(CohortMember(cohort_id=cohort.id, partner_id=partner.id))
    detail = {
        "program": program.name,
        "playbook": f"{snapshot.playbook_id}@{snapshot.version}",
        "partners": len(body.partners),
    }
    session.add(AuditLog(actor=actor_of(session), action="cohort_created", cohort_id=cohort.id, detail=detail))
    await session.flush()
    return _out(cohort, program, snapshot, len(body.partners))


def _out(cohort: Cohort, program: Program, snapshot: PlaybookSnapshot, members: int) -> CohortOut:
    return CohortOut.of(cohort, program.name, snapshot.sha256, members)


async def launch(client: Client, task_queue: str, cohort: CohortOut) -> None:
    """Start the window workflow; idempotent, since the workflow id is the cohort's business key."""
    window = WindowInput(
        cohort_id=cohort.id,
        playbook=playbook_repo.PlaybookRef(
            playbook_id=cohort.playbook.id, version=cohort.playbook.version, sha256=cohort.playbook.sha256
        ),
        starts_at=cohort.starts_at,
        ends_at=cohort.ends_at,
    )
    try:
        await client.start_workflow(
            ActivationWindowWorkflow.run,
            window,
            id=cohort.window_workflow_id,
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    except WorkflowAlreadyStartedError:
        pass
    except RPCError as exc:
        raise Unavailable(
            "the cohort was saved but its window could not be launched; retry the launch",
            {"cohort_id": cohort.id, "retry": f"POST /api/v1/cohorts/{cohort.id}/launch", "reason": str(exc)},
        ) from exc


async def get(session: AsyncSession, cohort_id: str) -> CohortOut:
    cohort = await session.get(Cohort, cohort_id)
    if cohort is None:
        raise NotFound(f"cohort {cohort_id} not found")
    program = await session.get(Program, cohort.program_id)
    snapshot = await playbook_repo.get(session, cohort.playbook_id, cohort.playbook_version)
    assert program is not None and snapshot is not None
    return _out(cohort, program, snapshot, await cohort_repo.member_count(session, cohort_id))


async def clone(session: AsyncSession, cohort_id: str, body: CohortClone) -> CohortOut:
    """The next window of a cohort: same program, playbook version and active partners, new dates."""
    source = await session.get(Cohort, cohort_id)
    if source is None:
        raise NotFound(f"cohort {cohort_id} not found")
    program = await session.get(Program, source.program_id)
    snapshot = await playbook_repo.get(session, source.playbook_id, source.playbook_version)
    assert program is not None and snapshot is not None
    if program.archived_at is not None:
        raise Conflict(f"program {program.name!r} is archived; it takes no new cohorts", {"program": program.name})
    starts_at = (body.starts_at or datetime.now(UTC)).astimezone(UTC)
    ends_at = (body.ends_at or starts_at + (source.ends_at - source.starts_at)).astimezone(UTC)
    if ends_at <= starts_at:
        raise invalid("ends_at", f"must be after starts_at ({starts_at.isoformat()})")
    cohort = Cohort(
        id=str(uuid.uuid4()),
        program_id=program.id,
        name=body.name,
        playbook_id=source.playbook_id,
        playbook_version=source.playbook_version,
        starts_at=starts_at,
        ends_at=ends_at,
        status="launching",
    )
    session.add(cohort)
    await session.flush()
    members = await cohort_repo.active_members(session, cohort_id)
    session.add_all([CohortMember(cohort_id=cohort.id, partner_id=p.id) for p in members])
    detail = {"from": cohort_id, "to": cohort.id, "partners": len(members)}
    session.add(AuditLog(actor=actor_of(session), action="cohort_cloned", cohort_id=cohort.id, detail=detail))
    await session.flush()
    return _out(cohort, program, snapshot, len(members))


async def rename(session: AsyncSession, cohort_id: str, body: CohortRename) -> CohortOut:
    cohort = await session.get(Cohort, cohort_id)
    if cohort is None:
        raise NotFound(f"cohort {cohort_id} not found")
    detail = {"from": cohort.name, "to": body.name}
    cohort.name = body.name
    session.add(AuditLog(actor=actor_of(session), action="cohort_renamed", cohort_id=cohort_id, detail=detail))
    await session.flush()
    return await get(session, cohort_id)


async def listing(
    session: AsyncSession, f: CohortFilter, program_ids: Collection[str] | None = None
) -> list[CohortOut]:
    program_id = None
    if f.program:
        program = await programs.by_ref(session, f.program)
        if program is None:
            raise NotFound(f"program {f.program!r} not found", {"program": f.program})
        program_id = program.id
    rows = await cohort_repo.listing(
        session, program_id, f.status, f.starts_from, f.starts_before, f.limit, program_ids
    )
    counts = await cohort_repo.member_counts(session, [c.id for c in rows])
    by_id = {p.id: p for p in await programs.all_by_name(session)}
    snapshots: dict[tuple[str, int], PlaybookSnapshot] = {}
    out = []
    for cohort in rows:
        pin = (cohort.playbook_id, cohort.playbook_version)
        if pin not in snapshots:
            snapshot = await playbook_repo.get(session, *pin)
            assert snapshot is not None  # a cohort is only created on a published version
            snapshots[pin] = snapshot
        out.append(_out(cohort, by_id[cohort.program_id], snapshots[pin], counts.get(cohort.id, 0)))
    return out
