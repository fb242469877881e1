"""A small in-process sliding-window limiter for the public link pages, per token and per client address.

It lives in one API process: with several replicas each keeps its own counts, so the effective limit
is N times higher. A deployment that needs an exact limit puts a shared limiter (Redis, the load
balancer or the WAF) in front; this one still stops a single client hammering a single replica.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from api.link_pages.pages import render_page


class RateLimited(Exception):
    def __init__(self, retry_after: float):
        super().__init__("too many requests")
        self.retry_after = max(1, math.ceil(retry_after))


class SlidingWindowLimiter:
    def __init__(
        self, limit: int, window_seconds: float, max_keys: int = 50_000, clock: Callable[[], float] = time.monotonic
    ):
        self._limit, self._window, self._max_keys, self._clock = limit, window_seconds, max_keys, clock
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()

    def hit(self, key: str) -> float | None:
        """Count one request for `key`; None if allowed, else the seconds until one would be."""
        now = self._clock()
        hits = self._hits.pop(key, None) or deque()
        while hits and hits[0] <= now - self._window:
            hits.popleft()
        self._hits[key] = hits  # most recently used last, so eviction drops idle keys first
        if len(hits) >= self._limit:
            return hits[0] + self._window - now
        hits.append(now)
        while len(self._hits) > self._max_keys:
            self._hits.popitem(last=False)
        return None


class LinkLimits:
    def __init__(self, per_token: int, per_ip: int, window_seconds: float):
        self.token = SlidingWindowLimiter(per_token, window_seconds)
        self.ip = SlidingWindowLimiter(per_ip, window_seconds)


def client_address(request: Request) -> str:
    # Behind a proxy, run uvicorn with --proxy-headers and --forwarded-allow-ips so this is the client's.
    return request.client.host if request.client else "unknown"


async def rate_limited(request: Request) -> None:
    """Router dependency: refuse with a friendly 429 page once a client or a token is over its limit."""
    limits: LinkLimits = request.app.state.link_limits
    retry = limits.ip.hit(client_address(request))
    token = request.path_params.get("token")
    if retry is None and token:
        # Keyed by a digest: the limiter never holds live tokens in memory.
        retry = limits.token.hit(hashlib.sha256(token.encode()).hexdigest()[:24])
    if retry is not None:
        raise RateLimited(retry)


async def too_many(request: Request, exc: RateLimited) -> HTMLResponse:
    response = render_page(
        request,
        "message.html",
        429,
        title="Too many requests",
        message=f"That was a lot of clicks in a short time. Please wait {exc.retry_after} seconds and try again.",
    )
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


def install(app: FastAPI, limits: LinkLimits) -> None:
    """One set of counters for every link page, partner and AE: a client cannot reset its budget by
    switching from /p to /ae."""
    app.state.link_limits = limits
    app.exception_handler(RateLimited)(too_many)
