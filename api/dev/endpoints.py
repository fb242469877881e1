"""A local mail catcher over the outbox table: embedded/development mode only."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from api.deps import SessionDep, settings_of, signer_of
from api.errors import NotFound
from api.link_pages.pages import render_page
from db.repositories import outbox
from mail.unsubscribe import REMINDER_KIND, unsubscribe_url

router = APIRouter(prefix="/dev/inbox", tags=["dev"])
# Partner step links (/p/<token>), AE links (/ae/<purpose>/<token>, optionally ?answer=...), PM sign-in links.
LINK = re.compile(r"https?://[^\s/]+(?:/p|/ae/[a-z-]+|/signin)/[A-Za-z0-9_.\-]+(?:\?answer=[a-z_]+)?")


class InboxMessage(BaseModel):
    id: str
    to: str
    subject: str
    kind: str
    status: str
    created_at: str
    links: list[str]
    unsubscribe: str | None = None  # what the List-Unsubscribe header of a reminder points to


def _message(request: Request, row: outbox.EmailOutbox) -> InboxMessage:
    settings = settings_of(request)
    return InboxMessage(
        id=row.id,
        to=f"{row.to_name} <{row.to_email}>",
        subject=row.subject,
        kind=row.kind,
        status=row.status,
        created_at=row.created_at.isoformat(),
        links=LINK.findall(row.text),
        unsubscribe=unsubscribe_url(signer_of(request), settings.public_base_url, row.id)
        if row.kind == REMINDER_KIND
        else None,
    )


@router.get("", response_class=HTMLResponse, include_in_schema=False)
async def inbox(request: Request, session: SessionDep) -> HTMLResponse:
    messages = [_message(request, r) for r in await outbox.recent(session)]
    return render_page(request, "inbox.html", messages=messages)


@router.get("/messages", response_model=list[InboxMessage])
async def inbox_json(request: Request, session: SessionDep) -> list[InboxMessage]:
    """The newest outbox emails with the step links they carry (newest first)."""
    return [_message(request, r) for r in await outbox.recent(session)]


@router.get("/{message_id}", response_class=HTMLResponse, include_in_schema=False)
async def inbox_message(message_id: str, request: Request, session: SessionDep) -> HTMLResponse:
    row = await outbox.get(session, message_id)
    if row is None:
        raise NotFound("no such message")
    return render_page(request, "inbox_message.html", message=_message(request, row), row=row)
