from __future__ import annotations

import hmac
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Form, Request
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.errors import AppError, Unauthorized
from settings import Settings


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request owns the transaction: commit on success, roll back on any error."""
    async with request.app.state.sessions() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


def _temporal(request: Request) -> Client:
    return request.app.state.temporal


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _pm_auth(request: Request) -> str:
    header = request.headers.get("authorization", "")
    key = (
        header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else request.headers.get("x-api-key", "")
    )
    for candidate in request.app.state.settings.api_keys:
        if key and hmac.compare_digest(key.encode(), candidate.encode()):
            return "pm"
    raise Unauthorized("missing or invalid API key", "send `Authorization: Bearer <key>`")


def _column_mapping(
    mapping: str | None = Form(
        None, description='explicit columns as JSON, our field -> header in the file, e.g. {"crm_id": "Acct #"}'
    ),
) -> dict[str, str] | None:
    """A CSV import's explicit column mapping (a multipart form field), parsed and checked once for all imports."""
    if not mapping:
        return None
    try:
        value = json.loads(mapping)
    except json.JSONDecodeError as exc:
        raise AppError("mapping is not valid JSON", {"mapping": str(exc)}, status_code=422) from exc
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise AppError('mapping must be a JSON object of strings, e.g. {"crm_id": "Acct #"}', None, status_code=422)
    return value


SessionDep = Annotated[AsyncSession, Depends(_session)]
TemporalDep = Annotated[Client, Depends(_temporal)]
SettingsDep = Annotated[Settings, Depends(_settings)]
PMAuth = Depends(_pm_auth)
ColumnMapping = Annotated[dict[str, str] | None, Depends(_column_mapping)]
