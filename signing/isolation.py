"""Verifying untrusted files in worker processes that can be killed.

A hostile PDF can keep a verifier busy for minutes: pyHanko's difference analysis compares
every revision with the signed one, so a few hundred kilobytes of empty incremental updates
cost time that grows with the square of their number (2,000 revisions take about 20 s).
A thread cannot be stopped, a process can. ``IsolatedVerifier`` keeps a few spawned worker
processes; each verification runs in one, under an address-space limit, and a worker that
overruns its time limit is killed and replaced. Workers are reused, so a request pays for a
pipe round trip, not for starting Python and importing pyHanko.

A worker ends itself when its parent goes away (its end of the pipe closes).
"""

from __future__ import annotations

import multiprocessing
import resource
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Literal

from signing.errors import SigningError
from signing.verification import (
    DecompressionLimitExceeded,
    EncryptedDocument,
    UnreadableDocument,
    VerificationPolicy,
    VerificationResult,
    quiet_validation_logs,
    verify,
)


class VerificationTimedOut(SigningError):
    """The verification ran past its time limit and its worker was killed."""


class VerificationOutOfMemory(SigningError):
    """The verification needed more memory than a worker may use."""


class VerifierBusy(SigningError):
    """Every worker stayed busy for as long as a request may wait for one."""


@dataclass(frozen=True, slots=True)
class Job:
    path: str
    policy: VerificationPolicy


@dataclass(frozen=True, slots=True)
class Outcome:
    kind: Literal["ok", "unreadable", "encrypted", "decompression", "memory"]
    result: VerificationResult | None = None
    message: str = ""


def _run_job(job: Job) -> Outcome:
    try:
        return Outcome("ok", verify(Path(job.path), job.policy))
    except DecompressionLimitExceeded as exc:
        return Outcome("decompression", message=str(exc))
    except EncryptedDocument as exc:
        return Outcome("encrypted", message=str(exc))
    except UnreadableDocument as exc:
        return Outcome("unreadable", message=str(exc))
    except MemoryError:
        return Outcome("memory", message="the verification needed more memory than it may use")
    except RecursionError:
        return Outcome("unreadable", message="the file's objects are nested too deeply")


READY = "ready"
# How long a new worker may take to import what it needs (seconds on a loaded machine); it
# is not counted in a job's time limit.
STARTUP_SECONDS = 120


def _serve(conn: Connection, memory_bytes: int) -> None:
    """A worker's loop: one job in, one outcome out, until the parent closes the pipe."""
    quiet_validation_logs()
    if memory_bytes:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    # Its modules are imported by now (spawn imports them before calling this): say so,
    # so that the first job's time limit counts the job alone.
    conn.send(READY)
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        try:
            outcome = _run_job(job)
        except Exception as exc:  # a worker answers, whatever the file does
            # A check inside the PDF reader failed (an AssertionError, an IndexError): the
            # file is damaged in a way no clearer error describes.
            outcome = Outcome(
                "unreadable",
                message=f"the file is damaged (the PDF reader stopped: {type(exc).__name__})",
            )
        try:
            conn.send(outcome)
        except (BrokenPipeError, OSError):
            return


class _Worker:
    def __init__(self, context: multiprocessing.context.SpawnContext, memory_bytes: int) -> None:
        self.conn, child = context.Pipe()
        self.process: BaseProcess = context.Process(
            target=_serve, args=(child, memory_bytes), daemon=True, name="docsvc-verifier"
        )
        self.process.start()
        child.close()
        self.ready = False

    def _wait_ready(self) -> None:
        if self.ready:
            return
        try:
            started = self.conn.poll(STARTUP_SECONDS) and self.conn.recv() == READY
        except (EOFError, OSError):
            started = False
        if not started:
            raise VerifierBusy("a verifier process did not start")
        self.ready = True

    def run(self, job: Job, timeout: float, on_start: Callable[[], None] | None = None) -> Outcome:
        self._wait_ready()
        if on_start is not None:
            on_start()
        self.conn.send(job)
        if not self.conn.poll(timeout):
            raise VerificationTimedOut(f"the verification took longer than {timeout:g} s")
        try:
            outcome: Outcome = self.conn.recv()
        except (EOFError, OSError) as exc:
            # Killed from outside, or by the kernel (out of memory, a crash in C code).
            raise VerificationOutOfMemory("the verification's worker process died") from exc
        return outcome

    def kill(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.conn.close()


class IsolatedVerifier:
    """Up to ``processes`` worker processes, started on demand and kept.

    Requests that find every worker busy wait in line, first come first served: a worker
    that comes back, or the room a killed one leaves (a new worker is started for it), goes
    to the longest-waiting request, never to one that arrived later. Without the line, a
    client looping slow files got the freed worker back on its next request while earlier
    requests went on waiting until they gave up."""

    def __init__(self, processes: int, memory_bytes: int) -> None:
        self.processes = processes
        self.memory_bytes = memory_bytes
        self._context = multiprocessing.get_context("spawn")
        self._idle: list[_Worker] = []  # the most recently used last (it is taken first)
        self._line: deque[object] = deque()
        self._changed = threading.Condition()
        self._started = 0

    def _acquire(self, wait: float) -> _Worker:
        deadline = time.monotonic() + wait
        ticket = object()
        with self._changed:
            self._line.append(ticket)
            try:
                while True:
                    if self._line[0] is ticket:
                        while self._idle:
                            worker = self._idle.pop()
                            if worker.process.is_alive():
                                return worker
                            # Died while idle (killed from outside): make room for another.
                            self._started -= 1
                            worker.kill()
                        if self._started < self.processes:
                            self._started += 1
                            break
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise VerifierBusy("every verifier stayed busy")
                    self._changed.wait(remaining)
            finally:
                self._line.remove(ticket)
                self._changed.notify_all()  # the next in line may be at the head now
        try:
            return _Worker(self._context, self.memory_bytes)
        except BaseException:
            self._release_room()
            raise

    def _release_room(self) -> None:
        with self._changed:
            self._started -= 1
            self._changed.notify_all()

    def _give_back(self, worker: _Worker) -> None:
        with self._changed:
            self._idle.append(worker)
            self._changed.notify_all()

    def warm(self) -> None:
        """Start every worker now, so that no request waits for Python to start."""
        while True:
            with self._changed:
                if self._started >= self.processes:
                    return
                self._started += 1
            try:
                worker = _Worker(self._context, self.memory_bytes)
            except BaseException:
                self._release_room()
                raise
            self._give_back(worker)

    def _retire(self, worker: _Worker) -> None:
        worker.kill()
        self._release_room()  # a request in line starts a worker in its place

    def verify(
        self,
        path: Path,
        policy: VerificationPolicy,
        *,
        timeout: float,
        wait: float | None = None,
        on_start: Callable[[], None] | None = None,
    ) -> VerificationResult:
        """Verify in a worker; the same results and errors as ``signing.verification.verify``,
        plus ``VerificationTimedOut``, ``VerificationOutOfMemory`` and, after ``wait``
        seconds in line without a free worker (``timeout`` if not given), ``VerifierBusy``.
        ``on_start`` is called when the job is handed to a ready worker: from then on the
        worker's time is the job's."""
        job = Job(str(path), policy)
        worker = self._acquire(timeout if wait is None else wait)
        try:
            outcome = worker.run(job, timeout, on_start)
        except BaseException:
            self._retire(worker)
            raise
        self._give_back(worker)
        if outcome.kind == "ok":
            assert outcome.result is not None
            return outcome.result
        if outcome.kind == "decompression":
            raise DecompressionLimitExceeded(outcome.message)
        if outcome.kind == "memory":
            raise VerificationOutOfMemory(outcome.message)
        if outcome.kind == "encrypted":
            raise EncryptedDocument(outcome.message)
        raise UnreadableDocument(outcome.message)

    def idle_pids(self) -> set[int]:
        """The process ids of the workers waiting for a job (for monitoring and tests)."""
        with self._changed:
            return {w.process.pid for w in self._idle if w.process.pid is not None}

    def close(self) -> None:
        while True:
            with self._changed:
                if not self._idle:
                    return
                worker = self._idle.pop()
            self._retire(worker)
