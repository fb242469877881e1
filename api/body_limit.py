"""Request bodies are refused before they are read.

Who may send a body is checked first (the PM API key, a link token's signature), then how much,
counted while the body streams in, so a chunked upload without Content-Length stops at its route's
limit like any other (413). This cannot live in the endpoints: FastAPI reads and parses a body before
it runs an endpoint's dependencies, and the link pages need the form for their CSRF check.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.dashboard import auth
from api.dashboard.access import redirect
from api.deps import key_actor
from api.errors import Unauthorized
from api.link_pages.pages import message, not_found
from domain.links import LinkExpired, LinkInvalid
from settings import Settings

# Route -> the Settings field holding its limit; any other route gets max_body_bytes.
_LIMITS = (
    (re.compile(r"/api/v1/(?:deals|account-executives|vendor-accounts|partners)/import"), "max_body_bytes_imports"),
    (re.compile(r"/imports/(?:deals|account-executives|vendor-accounts)"), "max_body_bytes_imports"),  # dashboard
    (re.compile(r"/api/v1/cohorts(?:/[^/]+/partners)?"), "max_body_bytes_partner_lists"),
    (re.compile(r"/p/(?!unsubscribe/)[^/]+"), "max_body_bytes_step_page"),
    (re.compile(r"/webhooks/.*"), "max_body_bytes_webhook"),
)
# Link pages that take a form -> the signer method that checks their token. An expired token still
# gets its page (it offers a fresh link); a forged one gets the same 404 as any unknown link.
_TOKENS = (
    (re.compile(r"/p/unsubscribe/([^/]+)"), "verify_unsubscribe"),
    (re.compile(r"/p/([^/]+)(?:/fresh-link)?"), "verify_step"),
    (re.compile(r"/ae/feedback/([^/]+)"), "verify_feedback"),
    (re.compile(r"/ae/intro/([^/]+)"), "verify_intro"),
)


_NO_SUCH_ID = JSONResponse({"error": "not found: no id contains a NUL character", "detail": None}, 404)


class BodyTooLarge(Exception):
    pass


def limit_for(settings: Settings, path: str) -> int:
    for pattern, field in _LIMITS:
        if pattern.fullmatch(path):
            return int(getattr(settings, field))
    return settings.max_body_bytes


async def _refusal(request: Request) -> Response | None:
    path = request.url.path
    if path.startswith("/api/"):
        try:
            # Its own short read: a revoked key is refused before its body is read; the request records the use.
            async with request.app.state.sessions() as session:
                await key_actor(request, session)
        except Unauthorized as exc:
            return exc.response()
        return None
    if path.startswith("/imports/"):
        # A dashboard upload's body (up to the imports' limit) is read only for a signed-in user.
        async with request.app.state.sessions() as session:
            cookie = request.cookies.get(auth.SESSION_COOKIE, "")
            if await auth.signed_in(session, cookie, datetime.now(UTC)) is None:
                return redirect("/signin?next=/")
        return None
    for pattern, verify in _TOKENS:
        if match := pattern.fullmatch(path):
            try:
                getattr(request.app.state.signer, verify)(match.group(1))
            except LinkExpired:
                return None
            except LinkInvalid:
                return not_found(request)
            return None
    return None


def _too_large(request: Request, limit: int) -> Response:
    size = f"{limit / (1 << 20):.0f} MB" if limit >= 1 << 20 else f"{limit // 1024} KB"
    if request.url.path.startswith(("/p/", "/ae/")):
        return message(
            request,
            413,
            "That is too large to send",
            f"This page accepts up to {size}. Please press back and upload your customers and target accounts "
            "only, or split the file.",
        )
    return JSONResponse({"error": "request body too large", "detail": f"at most {size} on this route"}, 413)


class BodyLimit:
    """ASGI middleware: answer 401/404 before reading any body, 413 as soon as a body passes its limit.
    Also the place for the other refusal that needs no body: a path with a NUL character."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if "\x00" in request.url.path and request.url.path.startswith("/api/"):
            # No id contains a NUL character (Postgres cannot store one): the path names nothing.
            await ((await _refusal(request)) or _NO_SUCH_ID)(scope, receive, send)
            return
        if not {"content-length", "transfer-encoding"} & set(request.headers):
            await self.app(scope, receive, send)
            return
        if (refusal := await _refusal(request)) is not None:
            await refusal(scope, receive, send)
            return
        limit = limit_for(request.app.state.settings, request.url.path)
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _too_large(request, limit)(scope, receive, send)
            return
        await _Limited(limit).run(self.app, request, receive, send)


class _Limited:
    """One request whose body is counted as it is received; past the limit, the 413 replaces whatever
    the app makes of the interrupted body (a 400, a form error or an exception)."""

    def __init__(self, limit: int) -> None:
        self.limit, self.received, self.exceeded, self.started = limit, 0, False, False

    async def run(self, app: ASGIApp, request: Request, receive: Receive, send: Send) -> None:
        async def counted() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                self.received += len(message.get("body", b""))
                if self.received > self.limit:
                    self.exceeded = True
                    raise BodyTooLarge(self.limit)
            return message

        async def guarded(message: Message) -> None:
            if self.exceeded and not self.started:
                return
            self.started = True
            await send(message)

        try:
            await app(request.scope, counted, guarded)
        except Exception:
            if not self.exceeded or self.started:
                raise
        if self.exceeded and not self.started:
            await _too_large(request, self.limit)(request.scope, receive, send)
