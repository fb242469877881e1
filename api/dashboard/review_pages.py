"""Reviewing a partner's answers from its dashboard page: approve one, or send it back with a comment.

The same service as the API's review call (api.intel.reviews), audited with the signed-in user as actor,
CSRF-checked, and refused (404) for a journey outside the viewer's programs. A send-back reopens the
step in the partner's journey and emails the comment; a double-submitted send-back is told it is
already waiting for the revision (409), never sent twice.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from api.dashboard.access import ViewerDep, checked_form, not_found, page, redirect
from api.deps import SessionDep, TemporalDep
from api.errors import AppError
from api.intel import reviews
from api.intel.review_schemas import ReviewIn
from db.views import dashboard

router = APIRouter(include_in_schema=False)
TITLE = "The answer was not reviewed"


@router.post("/partners/{partner_id}/review")
async def review_answer(
    partner_id: str, request: Request, session: SessionDep, viewer: ViewerDep, temporal: TemporalDep
) -> Response:
    form = await checked_form(request)
    journey_id, step_key = str(form.get("journey_id", "")), str(form.get("step_key", ""))
    journeys = await dashboard.journeys_of_partner(session, partner_id)
    if not any(j.journey.id == journey_id and viewer.sees(j.program_id) for j in journeys):
        raise not_found()
    try:
        body = ReviewIn.model_validate({"decision": form.get("decision"), "comment": form.get("comment", "")})
    except ValidationError as exc:
        where = ", ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        return page(request, "message.html", 422, title=TITLE, text=where)
    try:
        await reviews.review(session, temporal, (partner_id, journey_id, step_key), body, datetime.now(UTC))
    except AppError as exc:
        text = exc.message
        if isinstance(exc.detail, list):  # field problems: say which field
            text = "; ".join(f"{d['path']}: {d['message']}" for d in exc.detail)
        return page(request, "message.html", exc.status_code, title=TITLE, text=text)
    return redirect(f"/partners/{partner_id}?done={body.decision}")
