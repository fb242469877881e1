"""Programs: the PM's contact address and how closed deals ask their AEs for feedback."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy.ext.asyncio import AsyncSession

from api import key_scope
from api.api_keys import actor_of
from api.deps import AfterCommitDep, IdempotencyKey, KeyProgramsDep, PMAuth, SessionDep, SettingsDep, TemporalDep
from api.errors import Conflict, NotFound, documented
from api.fields import Email, Plain
from db.models import AuditLog, Program
from db.repositories import programs
from domain.intel.review_period import Cadence
from workflows.tier_review.schedule import ensure_review_schedule

router = APIRouter(prefix="/api/v1/programs", tags=["programs"], dependencies=[PMAuth], responses=documented(401))

BusinessDays = Annotated[int, Field(ge=1, le=30)]


class ProgramOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    pm_email: str
    feedback_reminder_days: list[int]
    feedback_expiry_days: int
    tier_review_cadence: Cadence
    archived_at: datetime | None = None


class ProgramCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Plain(max_length=200, min_length=1)
    pm_email: str = Field(default="", pattern=r"^([^@\s]+@[^@\s]+\.[^@\s]+)?$", max_length=320)


class ProgramChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Plain(None, max_length=200, min_length=1, description="Rename the program")
    pm_email: Email | None = None
    feedback_reminder_days: list[BusinessDays] | None = Field(
        default=None, max_length=5, json_schema_extra={"uniqueItems": True}, description="in any order; kept sorted"
    )
    feedback_expiry_days: int | None = Field(default=None, ge=1, le=90)
    tier_review_cadence: Cadence | None = None

    @model_validator(mode="after")
    def _distinct(self) -> ProgramChange:
        days = self.feedback_reminder_days
        if days is not None:
            if len(set(days)) != len(days):
                raise ValueError("feedback_reminder_days must be distinct business days, e.g. [2, 5]")
            self.feedback_reminder_days = sorted(days)
        return self


@router.get("", response_model=list[ProgramOut])
async def list_programs(session: SessionDep, mine: KeyProgramsDep, include_archived: bool = False) -> list[Program]:
    """The programs the key's user runs (every program for an admin's or a bootstrap key)."""
    return [p for p in await programs.all_by_name(session, include_archived) if mine is None or p.id in mine]


@router.post("", status_code=201, response_model=ProgramOut, responses=documented(403, 409, 413, 422))
async def create_program(
    body: ProgramCreate, session: SessionDep, key: IdempotencyKey, mine: KeyProgramsDep
) -> ProgramOut:
    """Only with an admin's or a bootstrap key: a manager runs the programs an admin gives them."""
    key_scope.require_every_program(mine, "create a program")
    if await programs.by_name(session, body.name) is not None:
        raise Conflict(f"a program named {body.name!r} exists", {"name": body.name})
    program = Program(id=str(uuid.uuid4()), name=body.name, pm_email=body.pm_email.lower())
    session.add(program)
    session.add(
        AuditLog(
            actor=actor_of(session), action="program_created", detail={"program_id": program.id, "name": body.name}
        )
    )
    await session.flush()
    return await key.answer(ProgramOut.model_validate(program), 201)


@router.post("/{program_id}/archive", response_model=ProgramOut, responses=documented(404))
async def archive_program(program_id: str, session: SessionDep, key: IdempotencyKey) -> ProgramOut:
    """Hide the program from lists and refuse new cohorts in it; running windows and deals carry on."""
    return await key.answer(await _archive(session, program_id, archived=True), 200)


@router.post("/{program_id}/unarchive", response_model=ProgramOut, responses=documented(404))
async def unarchive_program(program_id: str, session: SessionDep, key: IdempotencyKey) -> ProgramOut:
    return await key.answer(await _archive(session, program_id, archived=False), 200)


async def _archive(session: AsyncSession, program_id: str, archived: bool) -> ProgramOut:
    program = await session.get(Program, program_id)
    if program is None:
        raise NotFound(f"program {program_id} not found")
    if (program.archived_at is not None) != archived:
        program.archived_at = datetime.now(UTC) if archived else None
        action = "program_archived" if archived else "program_unarchived"
        session.add(AuditLog(actor=actor_of(session), action=action, detail={"program_id": program_id}))
        await session.flush()
    return ProgramOut.model_validate(program)


@router.patch("/{program_id}", response_model=ProgramOut, responses=documented(404, 409, 413, 422, 503))
async def change_program(
    program_id: str,
    change: ProgramChange,
    session: SessionDep,
    queue: AfterCommitDep,
    temporal: TemporalDep,
    settings: SettingsDep,
) -> Program:
    """Applies to feedback requests started from now on; requests already sent keep their schedule. A new
    tier review cadence re-times the program's review schedule once the change is saved."""
    program = await session.get(Program, program_id)
    if program is None:
        raise NotFound(f"program {program_id} not found")
    values = change.model_dump(exclude_none=True)
    if "name" in values and values["name"] != program.name and await programs.by_name(session, values["name"]):
        raise Conflict(f"a program named {values['name']!r} exists", {"name": values["name"]})
    before = {key: getattr(program, key) for key in values}
    for key, value in values.items():
        setattr(program, key, value)
    session.add(
        AuditLog(
            actor=actor_of(session),
            action="program_changed",
            detail={"program_id": program_id, "from": before, "to": values},
        )
    )
    await session.flush()
    if change.tier_review_cadence is not None:
        cadence = change.tier_review_cadence
        queue.run(lambda: ensure_review_schedule(temporal, program_id, cadence, settings.task_queue))
    return program
