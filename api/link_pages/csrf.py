"""CSRF for the link pages: a signed double-submit cookie plus a Fetch-Metadata / Origin check.

Why both: the token in the URL is the capability, but once we set cookies a cross-site page must not
be able to make the partner's browser submit. The cookie is SameSite=Strict and HttpOnly; its value is
signed by us, so a cookie planted from a sibling subdomain is refused; the form echoes it.
Note: with `Referrer-Policy: no-referrer`, browsers send `Origin: null` on same-origin form POSTs
(Fetch spec), so `null` is allowed and Sec-Fetch-Site carries the decision.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from api.deps import signer_of
from api.link_pages.pages import render_page
from domain.links import LinkSigner

CSRF_COOKIE = "cosell_csrf"
CSRF_FIELD = "csrf"
ALLOWED_FETCH_SITES = (None, "same-origin", "none")


def token_for(request: Request, signer: LinkSigner) -> str:
    """Reuse a valid cookie (several open tabs keep working); mint one otherwise."""
    current = request.cookies.get(CSRF_COOKIE, "")
    return current if current and signer.valid_csrf(current) else signer.new_csrf()


def set_cookie(response: Response, request: Request, value: str, path: str = "/p") -> None:
    """Scoped to the pages that use it: /p for partners, /ae/<purpose> for AEs."""
    response.set_cookie(
        CSRF_COOKIE, value, httponly=True, samesite="strict", path=path, secure=request.url.scheme == "https"
    )


def render_form(request: Request, name: str, status: int, path: str = "/p", **context: Any) -> HTMLResponse:
    """A page with a form: the template gets the CSRF value as `csrf`, the response sets the cookie."""
    value = token_for(request, signer_of(request))
    response = render_page(request, name, status, csrf=value, **context)
    set_cookie(response, request, value, path)
    return response


def same_origin(request: Request, public_base_url: str) -> bool:
    if request.headers.get("sec-fetch-site") not in ALLOWED_FETCH_SITES:
        return False
    origin = request.headers.get("origin")
    public = urlsplit(public_base_url)
    own = (f"{public.scheme}://{public.netloc}", f"{request.url.scheme}://{request.url.netloc}")
    return origin in (None, "null", *own)


def verify(request: Request, form_value: str, signer: LinkSigner, public_base_url: str) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    return (
        bool(cookie)
        and secrets.compare_digest(form_value.encode(), cookie.encode())
        and signer.valid_csrf(cookie)
        and same_origin(request, public_base_url)
    )
