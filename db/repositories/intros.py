"""Intro requests: one row per (journey, step, account); status pending -> sent -> escalated -> answered."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.cosell_models import AccountMatch, IntroRequest, VendorAccount
from db.repositories import partner_events
from db.upsert import insert_ignore
from playbooks.model import WaitEvent

OPEN = ("pending", "sent", "escalated")  # not yet answered


async def overlap_owners(session: AsyncSession, partner_id: str, account_ids: list[str]) -> dict[str, tuple[str, str]]:
    """Of these vendor accounts, the ones in the partner's overlap that have an owning AE: id -> (name, AE id)."""
    rows = await session.execute(
        select(VendorAccount.id, VendorAccount.name, VendorAccount.owner_ae_id)
        .join(AccountMatch, AccountMatch.vendor_account_id == VendorAccount.id)
        .where(AccountMatch.partner_id == partner_id, VendorAccount.id.in_(account_ids))
        .distinct()
    )
    return {vid: (name, ae) for vid, name, ae in rows if ae}


async def create(session: AsyncSession, values: dict[str, Any]) -> None:
    """Write the request once: its id is derived from journey, step and account."""
    await insert_ignore(session, IntroRequest, values)


async def by_ids(session: AsyncSession, request_ids: list[str]) -> list[IntroRequest]:
    return list(await session.scalars(select(IntroRequest).where(IntroRequest.id.in_(request_ids))))


async def move_to_batch(session: AsyncSession, request_ids: list[str], batch_id: str) -> None:
    await session.execute(update(IntroRequest).where(IntroRequest.id.in_(request_ids)).values(batch_id=batch_id))


async def mark_sent(session: AsyncSession, request_ids: list[str], at: datetime) -> None:
    await session.execute(
        update(IntroRequest)
        .where(IntroRequest.id.in_(request_ids), IntroRequest.status == "pending")
        .values(status="sent", sent_at=at)
    )


async def mark_escalated(session: AsyncSession, request_ids: list[str]) -> None:
    await session.execute(
        update(IntroRequest)
        .where(IntroRequest.id.in_(request_ids), IntroRequest.status.in_(("pending", "sent")))
        .values(status="escalated")
    )


async def answer(session: AsyncSession, request: IntroRequest, status: str, at: datetime, note: str) -> None:
    """Only an open request takes an answer: the first answer stands. An acceptance may end a journey's wait."""
    await session.execute(
        update(IntroRequest)
        .where(IntroRequest.id == request.id, IntroRequest.status.in_(OPEN))
        .values(status=status, answered_at=at, answer_note=note)
    )
    if status == "accepted":
        await partner_events.note(session, request.partner_id, WaitEvent.intro_accepted, request.id, at)


async def of_step(session: AsyncSession, journey_id: str, step_key: str) -> list[tuple[IntroRequest, str]]:
    """The requests one intro step made, with each account's name, by account name."""
    rows = await session.execute(
        select(IntroRequest, VendorAccount.name)
        .join(VendorAccount, VendorAccount.id == IntroRequest.vendor_account_id)
        .where(IntroRequest.journey_id == journey_id, IntroRequest.step_key == step_key)
        .order_by(VendorAccount.name)
    )
    return [(request, name) for request, name in rows]
