"""Idempotency-Key for the PM API, after the IETF httpapi Idempotency-Key draft (and Stripe): a key is
scoped to the caller and the operation, the first answer is kept with a fingerprint of the request,
a retry of the same request gets that answer with its status, and the key reused with a different
request is refused (422). Failed requests keep nothing: their transaction rolled back."""

from __future__ import annotations

import hashlib
import json
from typing import TypeVar

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile

from api.after_commit import AfterCommit
from api.errors import AppError, Conflict, Replayed
from db.repositories import idempotency as repo
from db.repositories.idempotency import Scope

T = TypeVar("T")


def operation(request: Request) -> str:
    """Method, route template and path parameters: `POST /api/v1/cohorts/{cohort_id}/pause cohort_id=c1`."""
    route = request.scope.get("route")
    template = getattr(route, "path", request.url.path)
    params = "".join(f" {name}={value}" for name, value in sorted(request.path_params.items()))
    return f"{request.method} {template}{params}"[:500]


async def fingerprint(request: Request) -> str:
    """sha256 of method, path and the canonical body: JSON with sorted keys, forms as sorted fields with
    each file's content hashed, so a multipart boundary or key order never makes two requests differ."""
    digest = hashlib.sha256(f"{request.method} {request.url.path}\n".encode())
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        fields = []
        for name, value in (await request.form()).multi_items():
            if isinstance(value, UploadFile):
                value = f"file:{value.filename}:{await _file_digest(value)}"
            fields.append((name, value))
        digest.update(json.dumps(sorted(fields)).encode())
        return digest.hexdigest()
    body = await request.body()
    try:
        digest.update(json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode())
    except ValueError:
        digest.update(body)
    return digest.hexdigest()


async def _file_digest(upload: UploadFile) -> str:
    digest = hashlib.sha256()
    while chunk := await upload.read(1 << 20):  # an import file can be large: never all of it in memory twice
        digest.update(chunk)
    await upload.seek(0)
    return digest.hexdigest()


async def check(session: AsyncSession, scope: Scope) -> None:
    """Raise Replayed for a retry of a kept request, 422 for the key reused with a different request."""
    kept = await repo.find(session, scope)
    if kept is None:
        return
    if kept.fingerprint != scope.fingerprint:
        raise AppError(
            "this Idempotency-Key was already used for a different request to this operation; "
            "send a new key for a new request",
            {"key": scope.key, "operation": scope.operation, "first_used_at": kept.at.isoformat()},
            status_code=422,
        )
    raise Replayed(kept.status_code, kept.response)


class Idempotency:
    """What a keyed handler needs: `answer` keeps the answer in the request's transaction."""

    def __init__(self, session: AsyncSession, queue: AfterCommit, scope: Scope | None):
        self._session, self._queue, self.scope = session, queue, scope

    @property
    def key(self) -> str | None:
        return self.scope.key if self.scope else None

    async def answer(self, result: T, status_code: int) -> T:
        if self.scope is None:
            return result
        scope = self.scope
        try:
            await repo.keep(self._session, scope, status_code, jsonable_encoder(result))
        except IntegrityError as exc:
            raise Conflict(
                "a request with this Idempotency-Key is being processed; retry it in a moment",
                {"key": scope.key, "operation": scope.operation},
            ) from exc

        async def forget(session: AsyncSession) -> None:
            await repo.forget(session, scope)

        self._queue.undo_on_failure(forget)
        return result
