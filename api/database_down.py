"""A database that cannot be reached is a 503 with Retry-After, not a 500: nothing was done (the request's
transaction never committed), the same request can be repeated, and the client is told when to try.

Postgres restarting, failing over or refusing connections shows up as a connection error at connect
time (ConnectionError), the pool's timeout while every connection hangs, a DBAPI error from a connection
that broke mid-request (SQLAlchemy flags it `connection_invalidated`), or "the database system is
starting up" (an OperationalError).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from api.link_pages.pages import busy
from observability.logs import LINK_PAGE_PREFIXES

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5


def unreachable(exc: BaseException) -> bool:
    if isinstance(exc, ConnectionError | PoolTimeout):
        return True
    return isinstance(exc, OperationalError) or (isinstance(exc, DBAPIError) and exc.connection_invalidated)


def answer(request: Request, exc: BaseException) -> Response:
    log.warning("database unreachable, answering 503: %s", type(exc).__name__)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if request.url.path.startswith(LINK_PAGE_PREFIXES):
        page = busy(request, "We could not save or show this just now. Nothing was lost: please try again in a minute.")
        page.headers.update(headers)
        return page
    body = {"error": "the database is unavailable; nothing was done, repeat the request later", "detail": None}
    return JSONResponse(body, 503, headers=headers)


def install(app: FastAPI) -> None:
    async def _database_down(request: Request, exc: Exception) -> Response:
        if not unreachable(exc):
            raise exc
        return answer(request, exc)

    for kind in (ConnectionError, PoolTimeout, DBAPIError):
        app.add_exception_handler(kind, _database_down)
