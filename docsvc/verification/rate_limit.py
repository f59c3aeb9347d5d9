"""Throttles for the public verification routes, which anyone can call without an account.

Two, both per client address and both kept in each process's memory, on purpose: what they
protect is this process's own request threads and verifier workers, so the process is the
right unit (with several processes or hosts, each protects its own workers). Behind a
proxy, run ``docsvc serve --proxy-headers`` so that the address is the client's.

- Requests per minute (``public_requests_per_minute``): a sliding window, the limiter
  ``docsvc.throttles.RateLimiter`` shared with the PKI and login routes.
- A fair share of the verifier (``VerificationBudget``): counting requests is not enough,
  since one request with a hostile file (thousands of empty revisions) keeps a worker busy
  for the whole time limit. Each client may use ``public_verify_seconds_per_minute`` worker
  seconds in any 60 seconds and have ``public_verifications_in_flight`` verifications
  running at once; beyond either it gets a 429 ``verification_budget`` with Retry-After,
  and the workers stay free for everyone else.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field

from fastapi import Request

from docsvc.config import Settings
from docsvc.errors import TooManyRequests
from docsvc.throttles import WINDOW_SECONDS, RateLimiter, client_address
from docsvc.verification import workers

__all__ = [
    "WINDOW_SECONDS",
    "RateLimiter",
    "VerificationBudget",
    "WorkerTime",
    "limit_public_requests",
    "public_verification",
]

BUDGET_CODE = "verification_budget"
_MAX_CLIENTS = 100_000  # beyond this many tracked addresses, the idle ones are forgotten


def limit_public_requests(request: Request) -> None:
    """A route dependency: count this request against its client's window."""
    limiter: RateLimiter = request.app.state.public_limiter
    limiter.check(client_address(request))


@dataclass(slots=True)
class WorkerTime:
    """The worker seconds one request's verifications used: from the moment a ready worker
    takes the job until its answer (or its kill at the time limit). Time spent waiting in
    line for a worker is not counted."""

    seconds: float = 0.0
    _since: float | None = None

    def start(self) -> None:
        self._since = time.monotonic()

    def stop(self) -> None:
        if self._since is not None:
            self.seconds += time.monotonic() - self._since
            self._since = None


@dataclass(slots=True)
class _Account:
    charges: deque[tuple[float, float]] = field(default_factory=deque)  # (when, seconds)
    running: list[float] = field(default_factory=list)  # when each in flight was admitted

    def spent(self, moment: float) -> float:
        while self.charges and moment - self.charges[0][0] >= WINDOW_SECONDS:
            self.charges.popleft()
        return sum(seconds for _, seconds in self.charges)


class VerificationBudget:
    """Each client's fair share of this process's verifier workers: at most ``in_flight``
    verifications at once, and a new one only while the worker seconds its finished ones
    used in the last 60 seconds are under ``seconds_per_minute``. A verification is charged
    when it ends (its length is not known before), so a client may overdraw by what its
    verifications in flight use; the next ones wait until the window is under budget again.
    With the defaults (30 s per minute, the time limit 30 s), a client looping files that
    run to the time limit holds at most one worker for every 90 seconds per verification
    in flight, whatever its request rate."""

    def __init__(self, seconds_per_minute: float, in_flight: int, *, longest: float) -> None:
        self.seconds_per_minute = seconds_per_minute
        self.in_flight = in_flight
        self.longest = longest  # the longest a verification may take, waiting included
        self._accounts: dict[str, _Account] = {}
        self._lock = threading.Lock()

    @classmethod
    def for_settings(cls, settings: Settings) -> VerificationBudget:
        # Never more than half the workers for one client, so that others always find one.
        share = max(1, workers.processes(settings) // 2)
        return cls(
            settings.public_verify_seconds_per_minute,
            min(settings.public_verifications_in_flight, share),
            longest=settings.verify_wait_seconds + settings.verify_seconds,
        )

    def admit(self, client: str, now: float | None = None) -> float:
        """Count a verification in flight for ``client`` and return its moment (for
        ``settle``), or raise ``TooManyRequests`` (429 ``verification_budget``)."""
        moment = time.monotonic() if now is None else now
        with self._lock:
            account = self._accounts.setdefault(client, _Account())
            if len(account.running) >= self.in_flight:
                wait = min(account.running) + self.longest - moment
                raise TooManyRequests(
                    "Too many verifications from your address are in progress at once "
                    f"({self.in_flight} allowed); wait for them to finish.",
                    retry_after=max(1, math.ceil(wait)),
                    code=BUDGET_CODE,
                )
            spent = account.spent(moment)
            if spent >= self.seconds_per_minute:
                wait = self._until_under_budget(account, spent, moment)
                raise TooManyRequests(
                    f"Your address has used its share of the verifier ({spent:.0f} s of "
                    f"verification in the last minute, {self.seconds_per_minute:g} s allowed); "
                    f"try again in {wait} s.",
                    retry_after=wait,
                    code=BUDGET_CODE,
                )
            account.running.append(moment)
            if len(self._accounts) > _MAX_CLIENTS:
                self._forget_idle(moment)
            return moment

    def settle(
        self, client: str, admitted: float, seconds: float, now: float | None = None
    ) -> None:
        """The verification admitted at ``admitted`` ended, having used ``seconds``."""
        moment = time.monotonic() if now is None else now
        with self._lock:
            account = self._accounts.setdefault(client, _Account())
            with contextlib.suppress(ValueError):
                account.running.remove(admitted)
            if seconds > 0:
                account.charges.append((moment, seconds))

    def spent(self, client: str, now: float | None = None) -> float:
        """The worker seconds ``client`` used in the last 60 seconds."""
        moment = time.monotonic() if now is None else now
        with self._lock:
            account = self._accounts.get(client)
            return account.spent(moment) if account is not None else 0.0

    def _until_under_budget(self, account: _Account, spent: float, moment: float) -> int:
        for when, seconds in account.charges:
            spent -= seconds
            if spent < self.seconds_per_minute:
                return max(1, math.ceil(when + WINDOW_SECONDS - moment))
        return 1  # not reached: the charges add up to what was spent

    def _forget_idle(self, moment: float) -> None:
        for client in [
            c for c, a in self._accounts.items() if not a.running and not a.spent(moment)
        ]:
            del self._accounts[client]


@contextlib.contextmanager
def public_verification(request: Request) -> Iterator[WorkerTime]:
    """Hold one of the client's verifications in flight (429 ``verification_budget`` if it
    is over its share) and charge it the worker time it used (``WorkerTime``, to pass to the
    verification) when it ends, whatever the outcome."""
    budget: VerificationBudget = request.app.state.verification_budget
    client = client_address(request)
    admitted = budget.admit(client)
    used = WorkerTime()
    try:
        yield used
    finally:
        used.stop()  # a worker abandoned mid-job still counts up to now
        budget.settle(client, admitted, used.seconds)
