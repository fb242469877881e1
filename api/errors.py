"""One error family, rendered as {"error", "detail"} (ErrorOut); 422 only for payload validation.

Routes declare the errors they really answer with `responses=errors.documented(...)`, so the OpenAPI
document describes the bodies clients get (FastAPI's own 422 schema describes a body we never send).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Match

# RFC 9110 §11.6.1: a 401 names the scheme the client should use.
BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="cosell"'}


class FieldProblem(BaseModel):
    path: str = Field(description="where: the dotted location, e.g. `partners.0.contacts.0.email` or `query.version`")
    message: str


class ErrorOut(BaseModel):
    """Every error answer of the API."""

    error: str = Field(description="what went wrong, in a sentence")
    detail: list[FieldProblem] | dict[str, Any] | str | None = Field(
        None,
        description="where and why: the invalid fields (422 for a malformed request), the lines and columns of "
        "a file, the ids involved, or what to do next",
    )


class AppError(Exception):
    status_code = 400
    headers: dict[str, str] | None = None

    def __init__(self, message: str, detail: Any = None, status_code: int | None = None):
        super().__init__(message)
        self.message, self.detail = message, detail
        if status_code is not None:
            self.status_code = status_code

    def response(self) -> JSONResponse:
        return JSONResponse({"error": self.message, "detail": self.detail}, self.status_code, headers=self.headers)


class NotFound(AppError):
    status_code = 404


class Forbidden(AppError):
    status_code = 403


class Conflict(AppError):
    status_code = 409


class Unavailable(AppError):
    status_code = 503


class Unauthorized(AppError):
    status_code = 401
    headers = BEARER_CHALLENGE


class Replayed(Exception):
    """Not an error: a retried request (same Idempotency-Key, same request) answered with the kept answer
    before its handler runs. An exception because only an exception lets a dependency answer."""

    def __init__(self, status_code: int, body: dict[str, Any]):
        super().__init__(status_code)
        self.status_code, self.body = status_code, body


_MEANINGS = {
    400: "The request cannot be carried out as sent",
    401: "Missing or invalid API key",
    403: "Refused",
    404: "Not found (the id in the path, or one named in the body)",
    405: "Method not allowed (the `Allow` header lists the methods of this path)",
    409: "Conflicts with the current state (or a request with the same Idempotency-Key is in flight)",
    413: "The request body is larger than this route accepts",
    422: "Invalid request: `detail` says which field, line or column, and why",
    503: "Temporal or the database could not be reached: nothing or only part was done; repeating the same "
    "request is safe (`Retry-After` says when, for the database)",
}


def documented(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` entry for the error codes a route answers, all with the ErrorOut body."""
    answers: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        answers[code] = {"model": ErrorOut, "description": _MEANINGS[code]}
        if code == 401:
            answers[code]["headers"] = {
                "WWW-Authenticate": {"description": "the scheme to authenticate with", "schema": {"type": "string"}}
            }
    return answers


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _allowed_methods(request: Request) -> str:
    """Every method of the path template the request matched first (Starlette's own 405 names only the
    first route's); not those of a later template that also matches (`/deals/import` is not `/deals/{id}`)."""
    matching = [r for r in _leaves(request.app.router.routes) if r.matches(request.scope)[0] != Match.NONE]
    template = getattr(matching[0], "path_format", None) if matching else None
    same = (getattr(r, "methods", None) or () for r in matching if getattr(r, "path_format", None) == template)
    methods = set().union(*same)
    return ", ".join(m for m in _METHODS if m in methods)


def _leaves(routes: Iterable[BaseRoute]) -> Iterator[BaseRoute]:
    """The routes themselves: FastAPI keeps an included router as one entry (its routes carry its prefix;
    the app includes its routers without another)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        yield from _leaves(inner.routes) if inner is not None else (route,)


def install(app: FastAPI) -> None:
    @app.exception_handler(Replayed)
    async def _replayed(_: Request, exc: Replayed) -> JSONResponse:
        return JSONResponse(exc.body, status_code=exc.status_code, headers={"Idempotent-Replayed": "true"})

    @app.exception_handler(AppError)
    async def _app_error(_: Request, exc: AppError) -> JSONResponse:
        return exc.response()

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        if exc.status_code == 400:
            # The framework's only 400 is a body it could not read (not UTF-8, a broken multipart form):
            # malformed input like any other, so it gets the same 422 and says why.
            why = f"the body cannot be read: {exc.__cause__}" if exc.__cause__ else str(exc.detail)
            return JSONResponse({"error": "invalid request", "detail": [{"path": "", "message": why}]}, 422)
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = _allowed_methods(request)
        return JSONResponse({"error": str(exc.detail), "detail": None}, exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        detail = [
            {"path": ".".join(str(p) for p in e["loc"] if p != "body"), "message": e["msg"]} for e in exc.errors()
        ]
        return JSONResponse({"error": "invalid request", "detail": detail}, status_code=422)
