"""Server-rendered pages: Jinja2 with autoescape and StrictUndefined; link pages are never cached."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import StrictUndefined

from api import markdown
from domain.schedule import zone
from observability.logs import LINK_PAGE_PREFIXES

# api/templates also holds the dev inbox, which renders through the same environment.
templates = Jinja2Templates(directory=Path(__file__).parents[1] / "templates")
templates.env.undefined = StrictUndefined
templates.env.filters["markdown"] = markdown.render
templates.env.filters["local"] = lambda dt, tz: dt.astimezone(zone(tz)).strftime("%a %-d %b %Y, %H:%M") + f" ({tz})"

# Link pages carry a capability token in their URL: no Referer leaks it, no cache keeps it, no
# search engine indexes it, and the page runs no script and cannot be framed.
PRIVATE_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
}


async def keep_private(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """HTTP middleware: every answer under a link-page prefix (framework errors, 405s and redirects too)
    keeps the token out of caches and Referer headers, not only the pages we render ourselves."""
    response = await call_next(request)
    if request.url.path.startswith(LINK_PAGE_PREFIXES):
        for name, value in PRIVATE_HEADERS.items():
            response.headers.setdefault(name, value)
    return response


def render_page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    response = templates.TemplateResponse(request, name, context, status_code=status)
    response.headers.update(PRIVATE_HEADERS)
    return response


def message(request: Request, status: int, title: str, text: str) -> HTMLResponse:
    return render_page(request, "message.html", status, title=title, message=text)


def not_found(request: Request) -> HTMLResponse:
    # One answer for tampered, foreign and unknown links: nothing reveals what exists.
    return message(
        request,
        404,
        "We couldn't find that page",
        "The link may be incomplete. Please open it again from the email you received.",
    )


def forbidden(request: Request) -> HTMLResponse:
    return message(
        request,
        403,
        "Please submit the form from its page",
        "For your security we only accept this form from the page we showed you. "
        "Open the link from your email again and resubmit.",
    )


def busy(request: Request, text: str) -> HTMLResponse:
    return message(request, 503, "We're a little busy", text)


def redirect_with_done_cookie(
    request: Request, location: str, cookie: str, value: str, cookie_path: str, max_age: timedelta
) -> Response:
    """303 after a successful POST: a reload never re-POSTs, and the address left in history carries no
    token; the short-lived signed cookie tells the confirmation page what was just done."""
    response = RedirectResponse(location, status_code=303)
    response.set_cookie(
        cookie,
        value,
        max_age=int(max_age.total_seconds()),
        httponly=True,
        samesite="strict",
        path=cookie_path,
        secure=request.url.scheme == "https",
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
