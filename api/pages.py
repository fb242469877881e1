"""Server-rendered pages: Jinja2 with autoescape and StrictUndefined; link pages are never cached."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import StrictUndefined

from api import markdown
from domain.schedule import zone

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
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


def render_page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    response = templates.TemplateResponse(request, name, context, status_code=status)
    response.headers.update(PRIVATE_HEADERS)
    return response
