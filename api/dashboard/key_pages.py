"""The signed-in user's API keys: create (the key is shown once), list by prefix, revoke after a confirmation."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api import api_keys
from api.dashboard.access import ViewerDep, checked_form, now, page, redirect
from api.deps import SessionDep
from db.repositories import api_keys as key_repo

router = APIRouter(include_in_schema=False)


@router.get("/account/keys", response_class=HTMLResponse)
async def keys(request: Request, session: SessionDep, viewer: ViewerDep, done: str = "") -> HTMLResponse:
    rows = [k for k, _ in await key_repo.listing(session, viewer.user_id)]
    notice = f"Key {done} revoked: it no longer works." if done else ""
    return page(request, "keys.html", active="keys", keys=rows, notice=notice, problem="")


@router.post("/account/keys", response_class=HTMLResponse)
async def create_key(request: Request, session: SessionDep, viewer: ViewerDep) -> HTMLResponse:
    form = await checked_form(request)
    try:
        issued = await api_keys.issue(session, viewer.email, str(form.get("name", "")), now())
    except api_keys.KeyRefused as exc:
        rows = [k for k, _ in await key_repo.listing(session, viewer.user_id)]
        return page(request, "keys.html", 422, active="keys", keys=rows, notice="", problem=str(exc))
    return page(request, "key_created.html", active="keys", issued=issued)


@router.get("/account/keys/{prefix}/revoke", response_class=HTMLResponse)
async def confirm_revoke(prefix: str, request: Request, session: SessionDep, viewer: ViewerDep) -> HTMLResponse:
    found = [k for k, _ in await key_repo.listing(session, viewer.user_id) if k.prefix == prefix and not k.revoked_at]
    if not found:
        return page(request, "message.html", 404, title="No such key", text="You have no live API key by that prefix.")
    return page(request, "key_revoke.html", active="keys", key=found[0])


@router.post("/account/keys/{prefix}/revoke")
async def revoke_key(prefix: str, request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    await checked_form(request)
    try:
        # Only the user's own keys here, an admin's too; the CLI revokes anyone's.
        await api_keys.revoke(session, prefix, now(), viewer.user_id)
    except api_keys.KeyRefused as exc:
        return page(request, "message.html", 404, title="No such key", text=str(exc))
    return redirect(f"/account/keys?done={prefix}")
