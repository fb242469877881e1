"""Programs: the PM's contact address and how closed deals ask their AEs for feedback."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.deps import AfterCommitDep, PMAuth, SessionDep, SettingsDep, TemporalDep
from api.errors import NotFound
from db.models import AuditLog, Program
from db.repositories import programs
from domain.intel.review_period import Cadence
from workflows.tier_review.schedule import ensure_review_schedule

router = APIRouter(prefix="/api/v1/programs", tags=["programs"], dependencies=[PMAuth])

BusinessDays = Annotated[int, Field(ge=1, le=30)]


class ProgramOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    pm_email: str
    feedback_reminder_days: list[int]
    feedback_expiry_days: int
    tier_review_cadence: Cadence


class ProgramChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pm_email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=320)
    feedback_reminder_days: list[BusinessDays] | None = Field(default=None, max_length=5)
    feedback_expiry_days: int | None = Field(default=None, ge=1, le=90)
    tier_review_cadence: Cadence | None = None

    @model_validator(mode="after")
    def _ascending(self) -> ProgramChange:
        days = self.feedback_reminder_days
        if days is not None and days != sorted(set(days)):
            raise ValueError("feedback_reminder_days must be ascending and distinct business days, e.g. [2, 5]")
        return self


@router.get("", response_model=list[ProgramOut])
async def list_programs(session: SessionDep) -> list[Program]:
    return await programs.all_by_name(session)


@router.patch("/{program_id}", response_model=ProgramOut)
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
    before = {key: getattr(program, key) for key in values}
    for key, value in values.items():
        setattr(program, key, value)
    session.add(
        AuditLog(actor="pm", action="program_changed", detail={"program_id": program_id, "from": before, "to": values})
    )
    await session.flush()
    if change.tier_review_cadence is not None:
        cadence = change.tier_review_cadence
        queue.run(lambda: ensure_review_schedule(temporal, program_id, cadence, settings.task_queue))
    return program
