from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import BackgroundTasks, Depends, Form, Header, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api import api_keys, key_scope
from api.after_commit import AfterCommit
from api.errors import AppError, Unauthorized
from api.idempotency import Idempotency, check, fingerprint, operation
from db.repositories import partner_events
from db.repositories.idempotency import Scope
from db.session import SessionFactory
from domain.links import LinkSigner
from mail import EmailSender
from settings import Settings
from workflows.journey.tell import tell_journeys

log = logging.getLogger(__name__)


def _after_commit(request: Request) -> AfterCommit:
    """One queue per request, shared by every dependency and handler that asks for it."""
    if not hasattr(request.state, "after_commit"):
        request.state.after_commit = AfterCommit()
    queue: AfterCommit = request.state.after_commit
    return queue


async def _session(request: Request, background: BackgroundTasks) -> AsyncIterator[AsyncSession]:
    """The request owns the transaction: commit on success, roll back on any error; then the work queued
    for after the commit runs. Function scope: all of it happens before the answer is sent, so a failed
    commit or a failed workflow start reaches the client as an error."""
    async with request.app.state.sessions() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
    await tell_after_commit(request.app.state.temporal, partner_events.pending(session))
    await _after_commit(request).flush(request.app.state.sessions, request.app.state.mailer, background)


async def tell_after_commit(temporal: Client, told: partner_events.Told) -> None:
    """Facts the request recorded (a deal accepted, an account list that creates overlap) reach the partner's
    running journeys. Not an error for the client: what it sent is saved, and a wait that never hears
    times out on the playbook's branch; the warning names what was not told."""
    try:
        await tell_journeys(temporal, told)
    except Exception:
        log.warning("could not tell journeys %s", sorted({f"{j}:{e.id}" for j, e in told}), exc_info=True)


SessionDep = Annotated[AsyncSession, Depends(_session, scope="function")]


def _sessions(request: Request) -> SessionFactory:
    """For work that outlives the request (a preview run) and opens its own transactions."""
    return request.app.state.sessions


def _temporal(request: Request) -> Client:
    return request.app.state.temporal


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


def signer_of(request: Request) -> LinkSigner:
    """Also for helpers called back with only the request (a page's redirect after completing a step)."""
    return request.app.state.signer


def _mailer(request: Request) -> EmailSender:
    return request.app.state.mailer


def presented_key(request: Request) -> str:
    """The key of `Authorization: Bearer <key>` (the scheme in any case, RFC 9110 §11.1) or of X-API-Key.
    Also called by the body limit before any body is read, so it reads the headers itself."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        return credentials.strip()
    return request.headers.get("x-api-key", "")


async def key_actor(request: Request, session: AsyncSession) -> api_keys.Principal:
    """Who the presented key acts as: `key:<prefix>` for a user's API key, `bootstrap-key` for COSELL_API_KEYS."""
    settings: Settings = request.app.state.settings
    principal = await api_keys.actor_for(session, presented_key(request), settings.api_keys, datetime.now(UTC))
    if principal is None:
        raise Unauthorized("missing or invalid API key", "send `Authorization: Bearer <key>`")
    return principal


# Declared for the OpenAPI document (clients and fuzzers learn how to authenticate); presented_key
# reads the same headers, so the middleware's check and the route's cannot disagree.
_BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="apiKeyBearer",
    description="an API key: a user's (created at /account/keys or `cosell keys create`) or a COSELL_API_KEYS one",
)
_KEY_HEADER = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    scheme_name="apiKeyHeader",
    description="the same key, for clients that cannot set Authorization",
)


async def _pm_auth(
    request: Request,
    session: SessionDep,
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_BEARER)],
    _header: Annotated[str | None, Security(_KEY_HEADER)],
) -> str:
    """The caller's principal, also the actor of the audit rows this request writes (kept on its session).
    Every PM route depends on this, so the key's programs are enforced here, for all of them at once."""
    principal = await key_actor(request, session)
    api_keys.set_actor(session, principal.actor)
    await key_scope.check(session, request, principal.programs)
    request.state.key_programs = principal.programs
    return principal.actor


async def _key_programs(request: Request, _: Annotated[str, Depends(_pm_auth)]) -> frozenset[str] | None:
    """The programs the request's key may reach (None: all), for the lists that filter by them."""
    programs: frozenset[str] | None = request.state.key_programs
    return programs


def _column_mapping(
    mapping: str | None = Form(
        None,
        description='explicit columns as JSON, our field -> header in the file, e.g. {"crm_id": "Acct #"}',
        json_schema_extra={
            "contentMediaType": "application/json",
            "contentSchema": {"type": "object", "additionalProperties": {"type": "string"}},
        },
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


SessionFactoryDep = Annotated[SessionFactory, Depends(_sessions)]
AfterCommitDep = Annotated[AfterCommit, Depends(_after_commit)]
TemporalDep = Annotated[Client, Depends(_temporal)]
SettingsDep = Annotated[Settings, Depends(settings_of)]
SignerDep = Annotated[LinkSigner, Depends(signer_of)]
MailerDep = Annotated[EmailSender, Depends(_mailer)]
PMAuth = Depends(_pm_auth)
PrincipalDep = Annotated[str, Depends(_pm_auth)]
KeyProgramsDep = Annotated[frozenset[str] | None, Depends(_key_programs)]
ColumnMapping = Annotated[dict[str, str] | None, Depends(_column_mapping)]


async def _idempotency(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    queue: AfterCommitDep,
    key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> Idempotency:
    """A retried request is answered here, before its handler runs (see api/idempotency.py)."""
    if key is None:
        return Idempotency(session, queue, None)
    scope = Scope(principal, operation(request), key, await fingerprint(request))
    await check(session, scope)
    return Idempotency(session, queue, scope)


IdempotencyKey = Annotated[Idempotency, Depends(_idempotency)]
