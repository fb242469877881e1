"""What the outbox could not settle, for the PM to check with the provider (see activities/sweeper.py)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import KeyProgramsDep, PMAuth, SessionDep
from api.errors import documented
from db.repositories import outbox

router = APIRouter(prefix="/api/v1/emails", tags=["emails"], dependencies=[PMAuth], responses=documented(401))


class UnsettledEmail(BaseModel):
    id: str
    journey_id: str | None
    kind: str
    to_email: str
    subject: str
    created_at: datetime
    claimed_at: datetime | None
    error: str | None


@router.get("/unsettled", response_model=list[UnsettledEmail])
async def unsettled_emails(session: SessionDep, mine: KeyProgramsDep) -> list[UnsettledEmail]:
    """Emails whose send may or may not have reached the provider and that no provider event settled
    within the settling window. They are never resent automatically (that could deliver twice): check
    the provider's activity log, and re-invite the partner if the email never left. A manager's key sees
    the emails of journeys in their programs."""
    rows = await outbox.unsettled(session, programs=mine)
    return [UnsettledEmail.model_validate(r, from_attributes=True) for r in rows]
