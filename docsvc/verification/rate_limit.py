"""Requests per client address and minute for the public verification routes, which anyone
can call without an account: a sliding window kept in each process's memory (behind a
proxy, run ``docsvc serve --proxy-headers`` so that the address is the client's)."""

from __future__ import annotations

import math
import threading
import time
from collections import deque

from fastapi import Request

from docsvc.errors import TooManyRequests

WINDOW_SECONDS = 60.0
_MAX_CLIENTS = 100_000  # beyond this many tracked addresses, the idle ones are forgotten


class RateLimiter:
    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, client: str, now: float | None = None) -> None:
        moment = time.monotonic() if now is None else now
        with self._lock:
            hits = self._hits.setdefault(client, deque())
            while hits and moment - hits[0] >= WINDOW_SECONDS:
                hits.popleft()
            if len(hits) >= self.per_minute:
                wait = math.ceil(WINDOW_SECONDS - (moment - hits[0]))
                raise TooManyRequests(
                    f"Too many verification requests from your address; try again in {wait} s.",
                    retry_after=max(1, wait),
                )
            hits.append(moment)
            if len(self._hits) > _MAX_CLIENTS:
                self._forget_idle(moment)

    def _forget_idle(self, moment: float) -> None:
        for client in [
            c for c, h in self._hits.items() if not h or moment - h[-1] >= WINDOW_SECONDS
        ]:
            del self._hits[client]


def limit_public_requests(request: Request) -> None:
    """A route dependency: count this request against its client's window."""
    limiter: RateLimiter = request.app.state.public_limiter
    limiter.check(request.client.host if request.client else "unknown")
