"""Logs: link tokens redacted everywhere; one JSON object per line in production, with the request id
(API) or the workflow, run and journey ids (worker) of the work that logged it."""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import IO, Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from temporalio import activity

# Link pages carry a capability token as one path segment: /p/<token>, /p/<token>/fresh-link,
# /p/unsubscribe/<token>, the AE pages /ae/<purpose>/<token> and a PM's sign-in link /signin/<token>;
# /p/done carries no token.
_TOKEN_IN_PATH = re.compile(r"(/p/(?:unsubscribe/)?|/ae/[a-z-]+/|/signin/)(?!done\b)[^/?#\s\"]+")
LINK_PAGE_PREFIXES = ("/p/", "/ae/", "/signin/")
REQUEST_ID_HEADER = "x-request-id"
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def redact(value: str) -> str:
    return _TOKEN_IN_PATH.sub(r"\1<redacted>", value)


class RedactLinkTokens(logging.Filter):
    """Access logs must never carry the capability token of a link: uvicorn logs the path and query
    as an argument (`'%s - "%s %s HTTP/%s" %d'`), other loggers may put it in the message itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str) and any(p in record.msg for p in LINK_PAGE_PREFIXES):
            record.msg = redact(record.msg)
        return True


def install_log_redaction() -> None:
    for name in ("uvicorn.access", "uvicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactLinkTokens) for f in logger.filters):
            logger.addFilter(RedactLinkTokens())


class RequestIds:
    """ASGI middleware: every request gets an id (the caller's X-Request-ID when it is a plain token,
    else a new one), logged with everything the request logs and echoed in the response."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        given = dict(scope["headers"]).get(REQUEST_ID_HEADER.encode(), b"").decode("latin-1")
        rid = given if _SAFE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        token = request_id.set(rid)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (REQUEST_ID_HEADER.encode(), rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id.reset(token)


def _temporal_ids(record: logging.LogRecord) -> dict[str, Any]:
    # temporalio's workflow/activity loggers attach these; our own module loggers inside an activity don't.
    found = getattr(record, "temporal_workflow", None) or getattr(record, "temporal_activity", None)
    keys = ("workflow_id", "run_id", "workflow_type", "activity_type")
    ids = {k: found[k] for k in keys if k in found} if found else {}
    if not ids and activity.in_activity():
        info = activity.info()
        ids = {"workflow_id": info.workflow_id, "run_id": info.workflow_run_id, "activity_type": info.activity_type}
    if str(ids.get("workflow_id", "")).startswith("journey/"):
        ids["journey_id"] = ids["workflow_id"]
    return ids


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        if (rid := request_id.get()) is not None:
            line["request_id"] = rid
        line.update(_temporal_ids(record))
        if record.exc_info:
            line["error"] = redact("".join(traceback.format_exception(*record.exc_info)))
        return json.dumps(line, default=str)


def configure_logging(log_format: str, stream: IO[str] | None = None) -> None:
    """Root logging for `cosell api` / `cosell worker`: uvicorn's loggers propagate here (run uvicorn
    with log_config=None), and every record passes the redaction filter on the way out."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RedactLinkTokens())
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(logging.INFO)
    for name in ("uvicorn", "uvicorn.access", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers, logger.propagate = [], True
        logger.setLevel(logging.INFO)  # an earlier uvicorn.Config(log_level=...) may have raised it
