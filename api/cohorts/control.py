"""Window control: the PM's changes to a running window, each audited and idempotent."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from functools import partial
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from api.after_commit import AfterCommit
from api.api_keys import actor_of
from api.cohorts import service
from api.cohorts.schemas import PartnerIn
from api.errors import AppError, Conflict, NotFound, Unavailable
from api.fields import Moment
from db.models import AuditLog, Cohort, CohortMember, Partner
from db.repositories import cohorts as cohort_repo
from db.repositories import playbooks as playbook_repo
from playbooks.model import MAX_VERSION
from workflows.journey.messages import GateDecision, journey_id
from workflows.journey.workflow import PartnerJourneyWorkflow
from workflows.window.messages import PartnersChange, WindowChange, window_id
from workflows.window.workflow import ActivationWindowWorkflow

Action = Literal["extend", "pause", "resume", "close", "cancel"]


class Extend(BaseModel):
    ends_at: Moment = Field(description="The window's new end (earlier shortens it)")


class AddPartners(BaseModel):
    partners: list[PartnerIn] = Field(min_length=1, max_length=5_000)


class Reschedule(BaseModel):
    starts_at: Moment = Field(description="The window's new start")
    ends_at: Moment | None = Field(default=None, description="The new end (default: keep the window's length)")


class Migrate(BaseModel):
    playbook_version: int = Field(ge=1, le=MAX_VERSION, description="A published version of the cohort's playbook")


class Accepted(BaseModel):
    cohort_id: str
    action: str
    key: str
    detail: dict[str, Any] = Field(default_factory=dict)


async def _cohort(session: AsyncSession, cohort_id: str) -> Cohort:
    cohort = await session.get(Cohort, cohort_id)
    if cohort is None:
        raise NotFound(f"cohort {cohort_id} not found")
    if cohort.status in ("closed", "cancelled"):
        raise Conflict(f"cohort {cohort_id} is {cohort.status}; its window can no longer change")
    return cohort


async def _audit(
    session: AsyncSession, cohort_id: str, action: str, key: str, detail: dict[str, Any], actor: str | None = None
) -> Accepted:
    session.add(AuditLog(actor=actor or actor_of(session), action=action, cohort_id=cohort_id, detail=detail))
    await session.flush()
    return Accepted(cohort_id=cohort_id, action=action, key=key, detail=detail)


async def _signal(client: Client, workflow_id: str, signal: Any, arg: Any) -> None:
    try:
        await client.get_workflow_handle(workflow_id).signal(signal, arg)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise Conflict("the window or journey has already ended", {"workflow_id": workflow_id}) from exc
        raise Unavailable(
            "the change is recorded but could not be sent to the running window; repeat the same request",
            {"workflow_id": workflow_id, "reason": str(exc)},
        ) from exc


async def change_window(
    session: AsyncSession,
    queue: AfterCommit,
    client: Client,
    cohort_id: str,
    action: Action,
    key: str | None,
    ends_at: datetime | None,
    actor: str | None = None,
) -> Accepted:
    """`actor`: by default whoever the request's session says acts (`key:<prefix>`, `user:<email>`)."""
    cohort = await _cohort(session, cohort_id)
    key = key or str(uuid.uuid4())
    change = WindowChange(key=key)
    detail: dict[str, Any] = {}
    if action == "extend":
        assert ends_at is not None
        ends_at = ends_at.astimezone(UTC)
        if ends_at <= max(datetime.now(UTC), cohort.starts_at):
            raise AppError(
                "the new end must be in the future and after the window's start",
                {"ends_at": ends_at.isoformat(), "starts_at": cohort.starts_at.isoformat()},
                status_code=422,
            )
        change.ends_at, detail = ends_at, {"from": cohort.ends_at.isoformat(), "to": ends_at.isoformat()}
    elif action in ("pause", "resume"):
        change.paused = action == "pause"
    else:
        change.status = "closed" if action == "close" else "cancelled"
        change.exit_reason = (
            "the program manager closed the window early" if action == "close" else "the window was cancelled"
        )
    accepted = await _audit(session, cohort_id, action, key, detail, actor)
    queue.run(partial(_signal, client, window_id(cohort_id), ActivationWindowWorkflow.change, change))
    return accepted


async def reschedule(
    session: AsyncSession, queue: AfterCommit, client: Client, cohort_id: str, body: Reschedule, key: str | None
) -> Accepted:
    """Only a window that has not started moves; one that has can be extended or closed instead."""
    cohort = await _cohort(session, cohort_id)
    now = datetime.now(UTC)
    if cohort.status not in ("launching", "scheduled") or cohort.starts_at <= now:
        raise Conflict(f"cohort {cohort_id} has already started (status: {cohort.status}); extend or close it instead")
    starts_at = body.starts_at.astimezone(UTC)
    ends_at = (body.ends_at or starts_at + (cohort.ends_at - cohort.starts_at)).astimezone(UTC)
    service.check_window(starts_at, ends_at, now)
    key = key or str(uuid.uuid4())
    detail = {"from": cohort.starts_at.isoformat(), "to": starts_at.isoformat(), "ends_at": ends_at.isoformat()}
    accepted = await _audit(session, cohort_id, "reschedule", key, detail)
    cohort.starts_at, cohort.ends_at = starts_at, ends_at  # the PM's plan; the window confirms it when it takes it
    change = WindowChange(key=key, starts_at=starts_at, ends_at=ends_at)
    queue.run(partial(_signal, client, window_id(cohort_id), ActivationWindowWorkflow.change, change))
    return accepted


async def add_partners(
    session: AsyncSession, queue: AfterCommit, client: Client, cohort_id: str, body: AddPartners, key: str | None
) -> Accepted:
    await _cohort(session, cohort_id)
    found = [(await service.upsert_partner(session, data)).id for data in body.partners]
    return await _join(session, queue, client, cohort_id, found, key)


async def add_known_partners(
    session: AsyncSession, queue: AfterCommit, client: Client, cohort_id: str, partner_ids: list[str], key: str | None
) -> Accepted:
    """Partners already in the directory, by id (the dashboard's pick): nothing about them is rewritten."""
    await _cohort(session, cohort_id)
    for partner_id in partner_ids:
        if await session.get(Partner, partner_id) is None:
            raise NotFound(f"partner {partner_id} not found", {"partner_id": partner_id})
    return await _join(session, queue, client, cohort_id, partner_ids, key)


async def _join(
    session: AsyncSession, queue: AfterCommit, client: Client, cohort_id: str, partner_ids: list[str], key: str | None
) -> Accepted:
    key = key or str(uuid.uuid4())
    added = []
    for partner_id in dict.fromkeys(partner_ids):
        member = await session.get(CohortMember, (cohort_id, partner_id))
        if member is None:
            session.add(CohortMember(cohort_id=cohort_id, partner_id=partner_id))
            added.append(partner_id)
        elif member.removed_at is not None:
            member.removed_at = None
            added.append(partner_id)
    accepted = await _audit(session, cohort_id, "add_partners", key, {"partner_ids": added})
    if added:
        change = PartnersChange(key=key, partner_ids=added)
        queue.run(partial(_signal, client, window_id(cohort_id), ActivationWindowWorkflow.add_partners, change))
    return accepted


async def remove_partner(
    session: AsyncSession,
    queue: AfterCommit,
    client: Client,
    cohort_id: str,
    partner_id: str,
    key: str | None,
    reason: str = "",
) -> Accepted:
    """`reason`: the PM's words, kept in the audit log with the removal."""
    await _cohort(session, cohort_id)
    if not await cohort_repo.remove_member(session, cohort_id, partner_id, datetime.now(UTC)):
        raise NotFound(f"partner {partner_id} is not an active member of cohort {cohort_id}")
    key = key or str(uuid.uuid4())
    detail = {"partner_id": partner_id, **({"reason": reason} if reason else {})}
    accepted = await _audit(session, cohort_id, "remove_partner", key, detail)
    change = PartnersChange(key=key, partner_ids=[partner_id])
    queue.run(partial(_signal, client, window_id(cohort_id), ActivationWindowWorkflow.remove_partners, change))
    return accepted


async def decide_gate(
    session: AsyncSession,
    queue: AfterCommit,
    client: Client,
    cohort_id: str,
    partner_id: str,
    decision: GateDecision,
    key: str | None,
) -> Accepted:
    await _cohort(session, cohort_id)
    jid = journey_id(cohort_id, partner_id)
    journey = await session.get(service.Journey, jid)
    if journey is None:
        raise NotFound(f"partner {partner_id} has no journey in cohort {cohort_id}")
    if journey.status != "held":
        raise Conflict(f"this journey is not waiting at a gate (status: {journey.status})")
    key = key or str(uuid.uuid4())
    accepted = await _audit(
        session, cohort_id, "gate_decision", key, {"partner_id": partner_id, **decision.model_dump()}
    )
    queue.run(partial(_signal, client, jid, PartnerJourneyWorkflow.decide_gate, decision))
    return accepted


async def migrate(
    session: AsyncSession, queue: AfterCommit, client: Client, cohort_id: str, body: Migrate, key: str | None
) -> Accepted:
    """Move a running window to another version; each journey switches at its next stage boundary."""
    cohort = await _cohort(session, cohort_id)
    if body.playbook_version == cohort.playbook_version:
        raise Conflict(f"cohort {cohort_id} already runs version {cohort.playbook_version}")
    current = await playbook_repo.get(session, cohort.playbook_id, cohort.playbook_version)
    target = await playbook_repo.get(session, cohort.playbook_id, body.playbook_version)
    if target is None or current is None:
        raise NotFound(f"playbook {cohort.playbook_id} version {body.playbook_version} is not published")
    old_stages = [s.key for s in playbook_repo.to_model(current).stages]
    new_stages = [s.key for s in playbook_repo.to_model(target).stages]
    if new_stages != old_stages:
        raise AppError(
            "the new version must keep the same stages so journeys can switch at a stage boundary",
            {"current": [s.value for s in old_stages], "new": [s.value for s in new_stages]},
            status_code=422,
        )
    key = key or str(uuid.uuid4())
    detail = {"from": cohort.playbook_version, "to": target.version}
    accepted = await _audit(session, cohort_id, "migrate", key, detail)
    cohort.playbook_version = target.version  # partners added from now on start on it
    change = WindowChange(key=key, playbook=playbook_repo.ref_of(target))
    queue.run(partial(_signal, client, window_id(cohort_id), ActivationWindowWorkflow.change, change))
    return accepted
