"""The win wire: the PM reads a program's win story drafts, edits one, and approves it, which emails it
once to each address of the program's field list (opt-in addresses, set here and audited)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from api.api_keys import actor_of
from api.deps import AfterCommitDep, IdempotencyKey, MailerDep, PMAuth, SessionDep, SettingsDep, SignerDep
from api.errors import AppError, Conflict, NotFound, documented
from api.fields import Email, Plain
from api.fields import Text as TextField
from db.models import AuditLog, Program
from db.repositories import win_wires
from db.win_wire_models import WinWire
from mail.queue import Email as OutboundEmail
from mail.queue import queue as queue_email
from mail.unsubscribe import WIN_WIRE_KIND, unsubscribe_url

router = APIRouter(prefix="/api/v1/programs", tags=["win wire"], dependencies=[PMAuth], responses=documented(401))

KIND = WIN_WIRE_KIND


class WinWireOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    deal_id: str
    partner_id: str
    ae_id: str
    subject: str
    text: str
    status: Literal["draft", "approved", "withdrawn"] = Field(
        description="withdrawn: the AE's revised answer no longer credits the partner (a later one may restore it)"
    )
    created_at: datetime
    approved_at: datetime | None = None
    approved_by: str | None = None


class WinWireEdit(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    subject: str | None = Plain(None, max_length=300, min_length=1)
    text: str | None = TextField(max_length=5000, default=None)


class FieldList(BaseModel):
    model_config = ConfigDict(extra="forbid")

    emails: list[Email] = Field(max_length=500, description="opt-in addresses that get approved win stories")


class Approval(WinWireOut):
    sent_to: list[str] = Field(description="the field-list addresses the story was queued for")


async def _program(session: AsyncSession, program_id: str) -> Program:
    program = await session.get(Program, program_id)
    if program is None:
        raise NotFound(f"program {program_id} not found")
    return program


async def _wire(session: AsyncSession, program_id: str, wire_id: str) -> WinWire:
    await _program(session, program_id)
    wire = await session.get(WinWire, wire_id, populate_existing=True)
    if wire is None or wire.program_id != program_id:
        raise NotFound(f"win wire {wire_id} not found in program {program_id}")
    return wire


@router.get("/{program_id}/win-wires", response_model=list[WinWireOut], responses=documented(404))
async def list_win_wires(
    program_id: str, session: SessionDep, status: Literal["draft", "approved", "withdrawn"] | None = None
) -> list[WinWire]:
    await _program(session, program_id)
    return await win_wires.of_program(session, program_id, status)


@router.patch("/{program_id}/win-wires/{wire_id}", response_model=WinWireOut, responses=documented(404, 409, 422))
async def edit_win_wire(program_id: str, wire_id: str, body: WinWireEdit, session: SessionDep) -> WinWire:
    """Change the subject or text of a draft; an approved story has gone out and is not changed."""
    wire = await _wire(session, program_id, wire_id)
    if wire.status != "draft":
        raise Conflict(f"win wire {wire_id} is {wire.status}: only a draft can be edited", {"status": wire.status})
    values = body.model_dump(exclude_none=True)
    if not values:
        raise AppError("nothing to change: send `subject` or `text`", {"path": "body", "message": "empty"}, 422)
    before = {key: getattr(wire, key) for key in values}
    for key, value in values.items():
        setattr(wire, key, value)
    detail = {"win_wire_id": wire_id, "from": before, "to": values}
    session.add(AuditLog(actor=actor_of(session), action="win_wire_edited", detail=detail))
    await session.flush()
    return wire


@router.post("/{program_id}/win-wires/{wire_id}/approve", response_model=Approval, responses=documented(404, 409, 422))
async def approve_win_wire(
    program_id: str,
    wire_id: str,
    session: SessionDep,
    queue: AfterCommitDep,
    mailer: MailerDep,
    key: IdempotencyKey,
    signer: SignerDep,
    settings: SettingsDep,
) -> Approval:
    """Email the story once to each field-list address. A second approval is a 409 (with the same
    Idempotency-Key, the first answer again); nothing is sent twice."""
    wire = await _wire(session, program_id, wire_id)
    program = await _program(session, program_id)
    emails = await win_wires.field_list(session, program_id)
    if not emails:
        raise AppError(
            f"program {program_id} has no field list: nobody would get win wire {wire_id}",
            {"path": "field-list", "message": f"PUT /api/v1/programs/{program_id}/field-list first"},
            status_code=422,
        )
    actor, now = actor_of(session), datetime.now(UTC)
    claimed = await session.execute(
        update(WinWire)
        .where(WinWire.id == wire_id, WinWire.status == "draft")
        .values(status="approved", approved_at=now, approved_by=actor)
    )
    if not getattr(claimed, "rowcount", 0):
        if wire.status == "withdrawn":
            raise Conflict(f"win wire {wire_id} was withdrawn: the AE's answer no longer credits the partner", {})
        raise Conflict(f"win wire {wire_id} was approved already and sent", {"approved_at": str(wire.approved_at)})
    await session.refresh(wire)
    unsubscribe = partial(unsubscribe_url, signer, settings.public_base_url)
    ids = [await _queue(session, wire, program, email, mailer.name, unsubscribe) for email in emails]
    queue.deliver(ids)
    detail = {"win_wire_id": wire_id, "sent_to": emails}
    session.add(AuditLog(actor=actor, action="win_wire_approved", detail=detail))
    await session.flush()
    answer = Approval.model_validate({**WinWireOut.model_validate(wire).model_dump(), "sent_to": emails})
    return await key.answer(answer, 200)


async def _queue(
    session: AsyncSession, wire: WinWire, program: Program, to: str, provider: str, unsubscribe: Callable[[str], str]
) -> str:
    """One address's email; its unsubscribe link (in the body and the List-Unsubscribe header the sender adds)
    names the outbox row, whose id is chosen first so the body can carry it."""
    outbox_id = str(uuid.uuid4())
    email = OutboundEmail(
        kind=KIND,
        dedupe_key=f"win-wire/{wire.id}/{to}",
        to_email=to,
        to_name="",
        subject=f"{program.name}: {wire.subject}",
        template="win_wire",
        context=dict(
            text=wire.text, program_name=program.name, pm_email=program.pm_email, unsubscribe_url=unsubscribe(outbox_id)
        ),
    )
    outbox_id, _ = await queue_email(session, email, provider, outbox_id=outbox_id)
    return outbox_id


@router.get("/{program_id}/field-list", response_model=FieldList, responses=documented(404))
async def get_field_list(program_id: str, session: SessionDep) -> FieldList:
    await _program(session, program_id)
    return FieldList(emails=await win_wires.field_list(session, program_id))


@router.put("/{program_id}/field-list", response_model=FieldList, responses=documented(404, 413, 422))
async def put_field_list(program_id: str, body: FieldList, session: SessionDep) -> FieldList:
    """Replace the program's field list (opt-in addresses; duplicates are kept once)."""
    await _program(session, program_id)
    before = await win_wires.field_list(session, program_id)
    await win_wires.replace_field_list(session, program_id, body.emails)
    after = await win_wires.field_list(session, program_id)
    detail = {"program_id": program_id, "from": before, "to": after}
    session.add(AuditLog(actor=actor_of(session), action="field_list_changed", detail=detail))
    await session.flush()
    return FieldList(emails=after)
