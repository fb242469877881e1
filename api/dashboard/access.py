"""Who may see a dashboard page: the signed-in user (else a redirect to sign in), their programs, CSRF."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from api.after_commit import AfterCommit
from api.api_keys import set_actor
from api.dashboard import auth
from api.deps import SessionDep, settings_of, signer_of
from api.link_pages import csrf
from api.link_pages.pages import PRIVATE_HEADERS
from api.link_pages.rate_limit import SlidingWindowLimiter
from db.repositories import partner_events, users
from db.repositories.users import Viewer
from db.views import dashboard
from settings import Settings

# The link pages' private headers, except that the dashboard's stylesheet is a file we serve (no inline CSS).
DASHBOARD_HEADERS = {
    **PRIVATE_HEADERS,
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
}
STYLESHEET = Path(__file__).parent / "static" / "dashboard.css"
SIGN_IN_EMAILS_PER_ADDRESS, SIGN_IN_EMAIL_WINDOW_SECONDS = 5, 15 * 60


class SignInRequired(Exception):
    def __init__(self, next_path: str):
        super().__init__(next_path)
        self.next_path = next_path


class PageRefused(Exception):
    """A page answer instead of the handler's: 404 for what the user may not see, 403 for a forged form."""

    def __init__(self, status: int, title: str, text: str):
        super().__init__(title)
        self.status, self.title, self.text = status, title, text


def not_found() -> PageRefused:
    # Another manager's program answers exactly like a program that does not exist.
    return PageRefused(404, "Not found", "There is nothing here, or it belongs to a program you do not run.")


async def visible_cohort(session: AsyncSession, viewer: Viewer, cohort_id: str) -> None:
    """Refuse a cohort outside the viewer's programs exactly as one that does not exist."""
    program_id = await dashboard.program_of_cohort(session, cohort_id)
    if program_id is None or not viewer.sees(program_id):
        raise not_found()


async def undone(request: Request, session: AsyncSession) -> None:
    """Keep nothing of a refused change before its page says why: what it began is rolled back, the facts it
    noted for journeys and the emails it queued are dropped (as the API's error answer drops them)."""
    await session.rollback()
    partner_events.pending(session)
    request.state.after_commit = AfterCommit()


def now() -> datetime:
    return datetime.now(UTC)


def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Every dashboard page has a form (sign out at least): the CSRF cookie is set on each."""
    context.setdefault("viewer", getattr(request.state, "viewer", None))
    context.setdefault("active", "")
    response = csrf.render_form(request, f"dashboard/{name}", status, path="/", **context)
    response.headers.update(DASHBOARD_HEADERS)
    return response


async def checked_form(request: Request) -> FormData:
    """The posted form, once its CSRF value matches the signed cookie and it came from our own pages."""
    form = await request.form()
    value = form.get(csrf.CSRF_FIELD)
    if not isinstance(value, str) or not csrf.verify(
        request, value, signer_of(request), settings_of(request).public_base_url
    ):
        raise PageRefused(
            403,
            "Please submit the form from its page",
            "This form was not sent from a cosell page. Reload and try again.",
        )
    return form


async def _viewer(request: Request, session: SessionDep) -> Viewer:
    user = await auth.signed_in(session, request.cookies.get(auth.SESSION_COOKIE, ""), now())
    if user is None:
        # Back to the page after sign-in; a form posted signed-out goes back to Today (its URL may take no GET).
        query = f"?{request.url.query}" if request.url.query else ""
        raise SignInRequired(request.url.path + query if request.method == "GET" else "/")
    viewer = await users.viewer(session, user)
    request.state.viewer = viewer
    set_actor(session, f"user:{viewer.email}")
    return viewer


ViewerDep = Annotated[Viewer, Depends(_viewer)]


def secure_cookies(settings: Settings) -> bool:
    """Secure in production and behind https; plain http on 127.0.0.1 (development, tests) must still work."""
    return settings.environment == "production" or settings.public_base_url.startswith("https://")


def set_session(response: Response, settings: Settings, token: str) -> None:
    response.set_cookie(
        auth.SESSION_COOKIE,
        token,
        max_age=int(auth.ABSOLUTE_LIMIT.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=secure_cookies(settings),
        path="/",
    )


def redirect(location: str) -> RedirectResponse:
    response = RedirectResponse(location, status_code=303)
    response.headers.update(DASHBOARD_HEADERS)
    return response


def install(app: FastAPI) -> None:
    app.state.sign_in_emails = SlidingWindowLimiter(SIGN_IN_EMAILS_PER_ADDRESS, SIGN_IN_EMAIL_WINDOW_SECONDS)

    @app.exception_handler(SignInRequired)
    async def _sign_in(_: Request, exc: SignInRequired) -> Response:
        return redirect(f"/signin?next={quote(auth.safe_next(exc.next_path), safe='/')}")

    @app.exception_handler(PageRefused)
    async def _refused(request: Request, exc: PageRefused) -> Response:
        return page(request, "message.html", exc.status, title=exc.title, text=exc.text)

    @app.get("/static/dashboard.css", include_in_schema=False)
    async def _stylesheet() -> FileResponse:
        return FileResponse(STYLESHEET, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})
