"""One error family, rendered as {"error", "detail"}; 422 only for payload validation."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


class AppError(Exception):
    status_code = 400

    def __init__(self, message: str, detail: Any = None, status_code: int | None = None):
        super().__init__(message)
        self.message, self.detail = message, detail
        if status_code is not None:
            self.status_code = status_code


class NotFound(AppError):
    status_code = 404


class Conflict(AppError):
    status_code = 409


class Unavailable(AppError):
    status_code = 503


class Unauthorized(AppError):
    status_code = 401


class Replayed(Exception):
    """Not an error: a retried request (same Idempotency-Key, same request) answered with the kept answer
    before its handler runs. An exception because only an exception lets a dependency answer."""

    def __init__(self, status_code: int, body: dict[str, Any]):
        super().__init__(status_code)
        self.status_code, self.body = status_code, body


def install(app: FastAPI) -> None:
    @app.exception_handler(Replayed)
    async def _replayed(_: Request, exc: Replayed) -> JSONResponse:
        return JSONResponse(exc.body, status_code=exc.status_code, headers={"Idempotent-Replayed": "true"})

    @app.exception_handler(AppError)
    async def _app_error(_: Request, exc: AppError) -> JSONResponse:
        return JSONResponse({"error": exc.message, "detail": exc.detail}, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        detail = [
            {"path": ".".join(str(p) for p in e["loc"] if p != "body"), "message": e["msg"]} for e in exc.errors()
        ]
        return JSONResponse({"error": "invalid request", "detail": detail}, status_code=422)
