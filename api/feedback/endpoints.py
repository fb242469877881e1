"""The PM's view of a partner's trust score: the number, every signal behind it, and the feedback it came from."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import PMAuth, SessionDep
from api.errors import NotFound, documented
from api.feedback import service

router = APIRouter(prefix="/api/v1/partners", tags=["trust"], dependencies=[PMAuth], responses=documented(401))


@router.get("/{partner_id}/trust", responses=documented(404))
async def partner_trust(partner_id: str, session: SessionDep) -> dict[str, Any]:
    view = await service.trust_view(session, partner_id)
    if view is None:
        raise NotFound("partner not found", {"partner_id": partner_id})
    return view
