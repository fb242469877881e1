"""Read-model writes (from activities only) and reads (from the API)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Journey, JourneyEvent, JourneyStep
from db.repositories import webhooks
from db.upsert import insert_ignore, insert_ignore_many, upsert, upsert_with


async def append_event(
    session: AsyncSession,
    event_id: str,
    journey_id: str,
    kind: str,
    stage: str,
    step_key: str | None,
    occurred_at: datetime,
    data: dict[str, Any],
) -> bool:
    values = dict(
        id=event_id,
        journey_id=journey_id,
        kind=kind,
        stage=stage,
        step_key=step_key,
        occurred_at=occurred_at,
        data=data,
    )
    if not await insert_ignore(session, JourneyEvent, values):
        return False
    await webhooks.emit_timeline(session, event_id, journey_id, kind, stage, step_key, occurred_at, data)
    return True


async def append_events(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Many timeline events in one statement (bulk imports, tier reviews), each also a webhook event if it is one."""
    await insert_ignore_many(session, JourneyEvent, rows)
    await webhooks.emit_timeline_many(session, rows)


async def save_journey(session: AsyncSession, values: dict[str, Any]) -> None:
    """Upsert the journey row; `started_at` is kept from the first write."""
    update_cols = [c for c in values if c not in ("id", "started_at", "cohort_id", "partner_id")]
    await upsert(session, Journey, values, keys=["id"], update=update_cols)


SETTLED = ("completed", "reopened", "closed")


def _never_backwards(new: Any) -> dict[str, Any]:
    """An invite or reminder lands on a row whatever order the activities ran in: a completion, send-back or
    close already written stays (an invite retried, or projected after a parallel step's completion, must
    not make it "invited" again), and a late invite does not undo a reminder. An overdue step does take a
    new invite: the gate's "extend" runs it again."""
    step = JourneyStep.__table__.c
    keep = or_(step.status.in_(SETTLED), and_(step.status == "reminded", new.status == "invited"))
    return dict(
        stage=new.stage,
        play_key=new.play_key,
        status=case((keep, step.status), else_=new.status),
        reminders_sent=case((keep, step.reminders_sent), else_=new.reminders_sent),
        invited_at=case((step.invited_at > new.invited_at, new.invited_at), else_=step.invited_at),
        due_at=case((step.status == "reopened", step.due_at), else_=new.due_at),  # the revision's own
    )


async def save_step(session: AsyncSession, values: dict[str, Any]) -> None:
    """An invite's or reminder's row (every column of JourneyStep but completed_at and submission)."""
    await upsert_with(session, JourneyStep, values, ["journey_id", "step_key"], _never_backwards)


async def complete_step(
    session: AsyncSession, journey_id: str, step_key: str, stage: str, play_key: str, at: datetime, answers: dict
) -> None:
    """A completion (or revision) is kept even if it arrives before the step's invite row: it writes the
    row itself (invited and due at the completion until the invite's projection says when)."""
    await insert_ignore(
        session,
        JourneyStep,
        dict(
            journey_id=journey_id,
            step_key=step_key,
            stage=stage,
            play_key=play_key,
            status="completed",
            invited_at=at,
            due_at=at,
            reminders_sent=0,
        ),
    )
    await mark_step(session, journey_id, step_key, status="completed", completed_at=at, submission=answers)


async def mark_step(session: AsyncSession, journey_id: str, step_key: str, **values: Any) -> None:
    await session.execute(
        update(JourneyStep)
        .where(JourneyStep.journey_id == journey_id, JourneyStep.step_key == step_key)
        .values(**values)
    )
    done = values.get("completed_at")
    if done is not None:  # progress reads the latest completion from the journey row (db/views/progress)
        await session.execute(
            update(Journey)
            .where(Journey.id == journey_id, Journey.last_progress_at < done)
            .values(last_progress_at=done)
        )


async def get_step(session: AsyncSession, journey_id: str, step_key: str) -> JourneyStep | None:
    return await session.get(JourneyStep, (journey_id, step_key))


async def open_steps_of_play(session: AsyncSession, journey_id: str, play_key: str) -> list[JourneyStep]:
    """The play's steps the partner may answer now (several in a parallel play), in the order invited."""
    rows = await session.scalars(
        select(JourneyStep)
        .where(
            JourneyStep.journey_id == journey_id,
            JourneyStep.play_key == play_key,
            JourneyStep.status.in_(("invited", "reminded", "reopened")),
        )
        .order_by(JourneyStep.invited_at, JourneyStep.step_key)
    )
    return list(rows)


async def get_journey(session: AsyncSession, journey_id: str) -> Journey | None:
    return await session.get(Journey, journey_id)


async def cohort_journeys(session: AsyncSession, cohort_id: str) -> list[Journey]:
    rows = await session.scalars(select(Journey).where(Journey.cohort_id == cohort_id).order_by(Journey.partner_id))
    return list(rows)


async def cohort_steps(session: AsyncSession, cohort_id: str) -> list[JourneyStep]:
    rows = await session.scalars(
        select(JourneyStep).join(Journey, Journey.id == JourneyStep.journey_id).where(Journey.cohort_id == cohort_id)
    )
    return list(rows)


async def timeline(session: AsyncSession, journey_id: str) -> list[JourneyEvent]:
    rows = await session.scalars(
        select(JourneyEvent).where(JourneyEvent.journey_id == journey_id).order_by(JourneyEvent.occurred_at)
    )
    return list(rows)


async def submissions(session: AsyncSession, journey_id: str) -> dict[str, dict[str, Any]]:
    """The answers of every completed form step of a journey, by step key."""
    rows = await session.scalars(
        select(JourneyStep).where(
            JourneyStep.journey_id == journey_id,
            JourneyStep.status == "completed",
            JourneyStep.submission.is_not(None),
        )
    )
    return {row.step_key: row.submission or {} for row in rows}


async def latest_of_partner(session: AsyncSession, partner_id: str) -> Journey | None:
    return await session.scalar(
        select(Journey).where(Journey.partner_id == partner_id).order_by(Journey.started_at.desc()).limit(1)
    )


async def running_of_partner(session: AsyncSession, partner_id: str) -> list[str]:
    """Ids of the partner's journeys that have not completed or exited, sorted."""
    rows = await session.scalars(
        select(Journey.id).where(Journey.partner_id == partner_id, Journey.status.not_in(("completed", "exited")))
    )
    return sorted(rows)
