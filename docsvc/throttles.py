"""Throttles for work anyone can make the service do: requests per client address and
minute (a sliding window), and how many of one costly kind of work (signing, hashing a
password) run at once, the rest waiting a bounded time in line and then refused.

Both are kept in each process's memory, on purpose: what they protect is the process's own
CPU and memory, so the process is the right unit, and with several processes (or hosts)
each protects itself. They are not what stops password guessing: the per-account lockout,
counted in the database, remains the guard across processes. Behind a proxy, run
``docsvc serve --proxy-headers`` so that the address counted is the client's.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from docsvc.config import Settings
from docsvc.errors import NotAuthenticated, TooManyRequests

T = TypeVar("T")

WINDOW_SECONDS = 60.0
_MAX_CLIENTS = 100_000  # beyond this many tracked addresses, the idle ones are forgotten
# How long a request waits in line for a signing or hashing slot before a 503, and how many
# may wait per slot (beyond them the 503 is at once: they could not be served in time).
PKI_WAIT_SECONDS = 2.0
LOGIN_WAIT_SECONDS = 10.0
MAX_WAITING_PER_SLOT = 32


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def cpu_count() -> int:
    """The CPUs this process may run on (its affinity, which containers narrow)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class RateLimiter:
    """At most ``per_minute`` hits per client in any 60 seconds. A hit is counted when it
    is allowed, before its work, so that concurrent requests cannot outrun the count;
    ``give_back`` un-counts one whose outcome should not count (a successful login)."""

    def __init__(
        self, per_minute: int, *, what: str = "verification requests", code: str | None = None
    ) -> None:
        self.per_minute = per_minute
        self.what = what
        self.code = code
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, client: str, now: float | None = None) -> None:
        self.take(client, now)

    def take(self, client: str, now: float | None = None) -> float:
        """Count a hit for ``client`` and return its moment, or raise ``TooManyRequests``
        (with the seconds until the oldest hit leaves the window)."""
        moment = time.monotonic() if now is None else now
        with self._lock:
            hits = self._hits.setdefault(client, deque())
            while hits and moment - hits[0] >= WINDOW_SECONDS:
                hits.popleft()
            if len(hits) >= self.per_minute:
                wait = math.ceil(WINDOW_SECONDS - (moment - hits[0]))
                raise TooManyRequests(
                    f"Too many {self.what} from your address; try again in {wait} s.",
                    retry_after=max(1, wait),
                    code=self.code,
                )
            hits.append(moment)
            if len(self._hits) > _MAX_CLIENTS:
                self._forget_idle(moment)
            return moment

    def give_back(self, client: str, moment: float) -> None:
        """Un-count the hit ``take`` returned (if it is still in the window)."""
        with self._lock:
            hits = self._hits.get(client)
            if hits is not None:
                with contextlib.suppress(ValueError):
                    hits.remove(moment)

    def _forget_idle(self, moment: float) -> None:
        for client in [
            c for c, h in self._hits.items() if not h or moment - h[-1] >= WINDOW_SECONDS
        ]:
            del self._hits[client]


class Busy(TooManyRequests):
    """Too much of one costly kind of work is running in this process: a 503 with
    Retry-After (a kind of ``TooManyRequests``, whose handler sends that header)."""

    status_code = 503
    default_code = "busy"


@dataclass(eq=False, slots=True)
class _Waiter:
    wake: Callable[[], None]
    granted: bool = False


class ConcurrencyGate:
    """At most ``limit`` holders at once, across threads and event loops; the others wait
    in line (first come, first served) for up to ``wait_seconds``, and then, or at once
    when ``max_waiting`` are already in line, get ``Busy`` with ``code``. Waiting costs a
    parked coroutine (or thread), no polling: a released slot is handed to the next in
    line."""

    def __init__(
        self,
        limit: int,
        *,
        wait_seconds: float,
        max_waiting: int,
        code: str,
        message: str = "The service is busy; try again in a few seconds.",
    ) -> None:
        self.limit = limit
        self.wait_seconds = wait_seconds
        self.max_waiting = max_waiting
        self.code = code
        self.message = message
        self._free = limit
        self._line: deque[_Waiter] = deque()
        self._lock = threading.Lock()

    @property
    def in_use(self) -> int:
        with self._lock:
            return self.limit - self._free

    @property
    def waiting(self) -> int:
        with self._lock:
            return len(self._line)

    def _busy(self) -> Busy:
        return Busy(self.message, retry_after=max(1, math.ceil(self.wait_seconds)), code=self.code)

    def _enter_or_line_up(self, wake: Callable[[], None]) -> _Waiter | None:
        """Take a free slot (None), or join the line (the waiter), or raise ``Busy``."""
        with self._lock:
            if self._free > 0 and not self._line:
                self._free -= 1
                return None
            if len(self._line) >= self.max_waiting:
                raise self._busy()
            waiter = _Waiter(wake)
            self._line.append(waiter)
            return waiter

    def _leave_line(self, waiter: _Waiter) -> bool:
        """Give up waiting; True if the slot was handed over meanwhile (then it is held)."""
        with self._lock:
            if waiter.granted:
                return True
            self._line.remove(waiter)
            return False

    def release(self) -> None:
        while True:
            with self._lock:
                if not self._line:
                    self._free += 1
                    return
                waiter = self._line.popleft()
                waiter.granted = True  # the slot passes to it without becoming free
            try:
                waiter.wake()
                return
            except RuntimeError:  # its event loop has closed: no one to hand it to
                continue

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        """Hold a slot in a thread (blocking while in line)."""
        arrived = threading.Event()
        waiter = self._enter_or_line_up(arrived.set)
        # In line: a timeout still holds the slot if it was handed over meanwhile.
        if (
            waiter is not None
            and not arrived.wait(self.wait_seconds)
            and not self._leave_line(waiter)
        ):
            raise self._busy()
        try:
            yield
        finally:
            self.release()

    @contextlib.asynccontextmanager
    async def slot_async(self) -> AsyncIterator[None]:
        """Hold a slot in a coroutine (parked while in line, the event loop free)."""
        loop = asyncio.get_running_loop()
        arrived: asyncio.Future[None] = loop.create_future()

        def wake() -> None:
            loop.call_soon_threadsafe(_resolve, arrived)

        waiter = self._enter_or_line_up(wake)
        if waiter is not None:
            try:
                await asyncio.wait_for(arrived, self.wait_seconds)
            except TimeoutError:
                if not self._leave_line(waiter):
                    raise self._busy() from None
            except BaseException:  # cancelled (the client left): hand back a granted slot
                if self._leave_line(waiter):
                    self.release()
                raise
        try:
            yield
        finally:
            self.release()


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


BUDGET_CODE = "verification_budget"
_MAX_CLIENTS = 100_000  # beyond this many tracked addresses, the idle ones are forgotten


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
    # The sum of ``charges``' seconds, kept as they come and go: a client with a generous
    # limit may have thousands in the window, and every admission asks.
    total: float = 0.0

    def charge(self, moment: float, seconds: float) -> None:
        self.charges.append((moment, seconds))
        self.total += seconds

    def spent(self, moment: float) -> float:
        while self.charges and moment - self.charges[0][0] >= WINDOW_SECONDS:
            self.total -= self.charges.popleft()[1]
        if not self.charges:
            self.total = 0.0  # no rounding left over from what went
        return max(0.0, self.total)


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
        share = max(1, settings.verifier_processes // 2)
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
                account.charge(moment, seconds)

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


@dataclass(frozen=True, slots=True)
class Throttles:
    """One process's throttles (``Services.limits``; each application gets its own)."""

    public_requests: RateLimiter  # public verification requests per client address
    verification: VerificationBudget  # each client's share of the verifier workers
    pki_requests: RateLimiter  # OCSP and TSA requests per client address
    pki_signing: ConcurrencyGate  # OCSP answers and TSA tokens being signed
    login_failures: RateLimiter  # failed logins per client address
    password_hashing: ConcurrencyGate  # passwords being checked (Argon2id, 64 MiB each)

    @classmethod
    def for_settings(cls, settings: Settings) -> Throttles:
        cpus = cpu_count()
        hashes = max(2, cpus)
        return cls(
            public_requests=RateLimiter(settings.public_requests_per_minute),
            verification=VerificationBudget.for_settings(settings),
            pki_requests=RateLimiter(settings.pki_requests_per_minute, what="PKI requests"),
            pki_signing=ConcurrencyGate(
                cpus,
                wait_seconds=PKI_WAIT_SECONDS,
                max_waiting=MAX_WAITING_PER_SLOT * cpus,
                code="pki_busy",
                message="The PKI is busy signing; try again in a few seconds.",
            ),
            login_failures=RateLimiter(
                settings.login_failures_per_minute, what="failed logins", code="too_many_logins"
            ),
            password_hashing=ConcurrencyGate(
                hashes,
                wait_seconds=LOGIN_WAIT_SECONDS,
                max_waiting=MAX_WAITING_PER_SLOT * hashes,
                code="login_busy",
                message="Too many logins are being checked; try again in a few seconds.",
            ),
        )


def throttles(request: Request) -> Throttles:
    found: Throttles = request.app.state.services.limits
    return found


async def pki_signing(request: Request, work: Callable[[], T]) -> T:
    """Run ``work`` (which signs an OCSP answer or a TSA token) for a public PKI request:
    its client's requests are counted (429 beyond the limit), then it waits in line for a
    signing slot (503 ``pki_busy``) and runs in a worker thread."""
    limits = throttles(request)
    limits.pki_requests.check(client_address(request))
    async with limits.pki_signing.slot_async():
        return await run_in_threadpool(work)


async def password_check(request: Request, work: Callable[[], T]) -> T:
    """Run ``work`` (a login: it hashes the password) under the login throttles, so that a
    flood costs neither CPU nor Argon2's memory: the attempt is counted against its client's
    failed logins first (429 ``too_many_logins`` beyond the limit), then it waits in line
    for a hashing slot (503 ``login_busy``) parked on the event loop, holding no request
    thread, and runs in a worker thread. Only a login that fails (``NotAuthenticated``)
    stays counted. Handlers that hash a password are therefore ``async def`` that do nothing
    else on the loop: their database work is inside ``work``."""
    limits = throttles(request)
    client = client_address(request)
    moment = limits.login_failures.take(client)
    failed = False
    try:
        async with limits.password_hashing.slot_async():
            return await run_in_threadpool(work)
    except NotAuthenticated:
        failed = True
        raise
    finally:
        if not failed:
            limits.login_failures.give_back(client, moment)
