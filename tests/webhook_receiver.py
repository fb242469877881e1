"""A real HTTP receiver for outbound webhooks on 127.0.0.1 (loopback is allowed in tests): records every
request and answers the status codes it is told to, in order (then 200)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn

from tests.waiting import eventually


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int  # what the receiver answered


@dataclass
class Receiver:
    port: int
    answers: list[int] = field(default_factory=list)
    seen: list[Received] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        status = self.answers.pop(0) if self.answers else 200
        self.seen.append(Received(scope["path"], headers, body, status))
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": f"answered {status}".encode()})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def receiver(answers: list[int] | None = None) -> AsyncIterator[Receiver]:
    rec = Receiver(free_port(), list(answers or []))
    server = uvicorn.Server(uvicorn.Config(rec, port=rec.port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())

    async def listening() -> bool:
        assert not task.done(), task
        return server.started

    await eventually(listening, what="webhook receiver listening", interval=0.02)
    try:
        yield rec
    finally:
        server.should_exit = True
        await task
