"""The loop that runs queued jobs: ``JobRunner``.

One dispatcher thread claims jobs while their queue has a free slot in this process
(high queues first), starts each on a thread of its own, keeps the heartbeat of what runs,
and now and then puts back the jobs of workers that died. On stop it claims nothing more
and waits for what runs (the drain); what is still running when the drain ends is given
back to its queue, to run at once elsewhere.

Where it runs: on SQLite (the embedded default) inside the serving process, started by the
application's lifespan (``runs_in_app``), so one process is the whole service; on
PostgreSQL in ``docsvc worker`` processes, unless ``DOCSVC_JOBS_IN_APP`` says otherwise.

Job threads are daemon threads: a handler stuck past the drain cannot keep the process
from exiting (its job was given back, and its late outcome is ignored by the queue)."""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from cryptography.exceptions import InvalidTag

from docsvc.config import Settings
from docsvc.jobs import queue
from docsvc.jobs.handlers import (
    JobContext,
    JobGaveUp,
    JobHandler,
    JobResult,
    RetryLater,
    handler_table,
)
from docsvc.jobs.queues import QUEUES, Urgency
from docsvc.jobs.sealing import WorkerKey
from docsvc.jobs.wakeups import Listener
from docsvc.models import Job, JobState
from docsvc.services import Services

log = logging.getLogger("docsvc.jobs")


def runs_in_app(settings: Settings) -> bool:
    """Whether the serving process runs jobs: as ``DOCSVC_JOBS_IN_APP`` says, or else only
    on the embedded SQLite database, where there is one host and a second process would
    only add a second writer."""
    if settings.jobs_in_app is not None:
        return settings.jobs_in_app
    return settings.effective_database_url.startswith("sqlite")


class LocalRunners:
    """The runners of this process, so that a job enqueued here wakes them at once, and so
    that closing the services stops them before their database connections go."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runners: dict[threading.Event, Callable[[], object]] = {}

    def add(self, wake: threading.Event, stop: Callable[[], object]) -> None:
        with self._lock:
            self._runners[wake] = stop

    def remove(self, wake: threading.Event) -> None:
        with self._lock:
            self._runners.pop(wake, None)

    def wake(self) -> None:
        with self._lock:
            for wake in self._runners:
                wake.set()

    def close(self) -> None:
        """Stop every runner still going (their running jobs go back to their queues): a
        runner's thread must not be left holding a connection of an engine being disposed."""
        with self._lock:
            stops = list(self._runners.values())
            self._runners.clear()
        for stop in stops:
            stop()


def local_runners(services: Services) -> LocalRunners:
    return services.shared("job runners of this process", LocalRunners)


def wake_local(services: Services) -> None:
    """Wake this process's runners to claim at once (call once the job has committed)."""
    local_runners(services).wake()


def worker_name() -> str:
    """``host:pid`` for the operators, and a few random characters so that two runners of
    one process (the tests start several) never take each other's jobs for their own."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass(frozen=True, slots=True)
class Timings:
    """How often the runner looks for work, beats and recovers, in seconds."""

    # How long an idle runner waits before asking for jobs again. A job that ends wakes it
    # at once to fill its slot, and so does a job enqueued in its own process
    # (``wake_local``) and, on PostgreSQL, in any process (``wakeups``); on SQLite this
    # bounds how long a job enqueued by another process waits.
    poll: float = 0.2
    stale_after: float = 120.0
    drain: float = 60.0
    retry_base: float = 10.0

    @property
    def heartbeat(self) -> float:
        # Several beats fit in the stale limit, so one slow beat does not lose a job.
        return self.stale_after / 4

    @property
    def recovery(self) -> float:
        return self.stale_after / 2

    @classmethod
    def from_settings(cls, settings: Settings) -> Timings:
        return cls(
            stale_after=settings.job_stale_seconds,
            drain=settings.job_drain_seconds,
            retry_base=settings.job_retry_seconds,
        )


class _Progress:
    """The reporter a handler gets: writes at most twice a second (a handler may report
    every item of thousands), always the last step, and remembers whether the job is
    still this worker's."""

    def __init__(self, services: Services, job: Job, every: float = 0.5) -> None:
        self._services = services
        self._job = job
        self._every = every
        self._last = 0.0
        self._ours = True
        self._lock = threading.Lock()

    def __call__(self, done: int, total: int) -> bool:
        with self._lock:
            now = time.monotonic()
            if done < total and now - self._last < self._every:
                return self._ours
            self._last = now
            self._ours = queue.report_progress(self._services.sessions, self._job, done, total)
            return self._ours


class JobRunner:
    def __init__(
        self,
        services: Services,
        handlers: Iterable[JobHandler],
        limits: Mapping[str, int],
        *,
        worker_id: str | None = None,
        timings: Timings | None = None,
        warm: bool = False,
    ) -> None:
        """``limits``: the queues to serve and their slots
        (``docsvc.jobs.queues.concurrency_limits``). ``warm``: start what the handlers
        need (``JobHandler.warm``) with the runner, as ``docsvc worker`` does, rather than
        at their first job."""
        self.services = services
        self.worker_id = worker_id or worker_name()
        self.timings = timings or Timings.from_settings(services.settings)
        # Kinds this deployment does not run here (e-mail without SMTP) are never claimed.
        self._handlers = {
            kind: handler
            for kind, handler in handler_table(handlers).items()
            if handler.runs_with(services.settings)
        }
        self._limits = {name: number for name, number in limits.items() if number > 0}
        # The urgent queues' slots are filled first, and never by the others' jobs.
        self._groups = [
            [q.name for q in QUEUES if q.urgency is urgency and q.name in self._limits]
            for urgency in (Urgency.high, Urgency.low)
        ]
        self._lock = threading.Lock()
        self._running: dict[uuid.UUID, Job] = {}
        self._wake = threading.Event()
        self._stopping = threading.Event()
        # Set when the drain is over: the dispatcher stops beating for what still runs.
        self._abandoned = threading.Event()
        self._dispatcher: threading.Thread | None = None
        # On PostgreSQL, a job enqueued by any process wakes the dispatcher at its commit.
        self._listener = (
            Listener(services.engine, self._wake.set, self.worker_id)
            if Listener.wanted(services.engine)
            else None
        )
        self._warm_handlers = warm
        # Secrets for jobs are sealed to this key's public half (``docsvc.jobs.sealing``).
        self._key = WorkerKey()
        self._stopped = False

    # -- control ---------------------------------------------------------------------

    def start(self) -> None:
        if self._dispatcher is not None:
            raise RuntimeError("this job runner was started already")
        queue.register_worker(
            self.services.sessions, self.worker_id, self._key.public, self._limits
        )
        for handler in self._handlers.values() if self._warm_handlers else ():
            if handler.warm is not None and (
                handler.queue is None or handler.queue in self._limits
            ):
                threading.Thread(
                    target=self._warm, args=(handler,), name=f"warm {handler.kind}", daemon=True
                ).start()
        self._dispatcher = threading.Thread(
            target=self._dispatch, name=f"jobs {self.worker_id}", daemon=True
        )
        self._dispatcher.start()
        if self._listener is not None:
            self._listener.start()
        local_runners(self.services).add(self._wake, lambda: self.stop(drain=0))
        log.info(
            "job runner %s serves %s",
            self.worker_id,
            ", ".join(f"{name}×{number}" for name, number in self._limits.items()) or "nothing",
        )

    def _warm(self, handler: JobHandler) -> None:
        assert handler.warm is not None
        try:
            handler.warm(self.services)
        except Exception:  # the first job starts what it needs instead
            log.exception("job runner %s: warming %s failed", self.worker_id, handler.kind)

    def stop(self, drain: float | None = None, hurry: threading.Event | None = None) -> bool:
        """Claim nothing more, wait up to ``drain`` seconds (the configured drain by
        default) for the running jobs, then give back what still runs. ``hurry``, when
        set during the wait, ends it early (a second Ctrl-C). True when every job finished
        within the drain. Stopping a stopped runner does nothing."""
        with self._lock:
            if self._stopped:
                return True
            self._stopped = True
        self._stopping.set()
        local_runners(self.services).remove(self._wake)
        if self._listener is not None:
            self._listener.stop()
        self._wake.set()
        deadline = time.monotonic() + (self.timings.drain if drain is None else drain)
        dispatcher = self._dispatcher
        while dispatcher is not None and dispatcher.is_alive():
            left = deadline - time.monotonic()
            if left <= 0 or (hurry is not None and hurry.is_set()):
                break
            dispatcher.join(timeout=min(left, 0.1))
        self._abandoned.set()
        self._wake.set()
        leftover = self.running()
        for job in leftover:
            try:
                queue.give_back(self.services.sessions, job)
            except Exception:
                log.exception("job %s could not be given back; it will be recovered", job.id)
        if leftover:
            log.warning(
                "job runner %s stopped with %d job(s) still running; given back to their queues",
                self.worker_id,
                len(leftover),
            )
        if dispatcher is not None:
            dispatcher.join(timeout=self.timings.poll + 5)
        try:
            queue.forget_worker(self.services.sessions, self.worker_id)
        except Exception:  # its row ages out; its secrets open nowhere without this process
            log.exception("job runner %s could not unregister", self.worker_id)
        return not leftover

    def running(self) -> list[Job]:
        with self._lock:
            return list(self._running.values())

    def busy(self, queue_name: str) -> int:
        with self._lock:
            return sum(1 for job in self._running.values() if job.queue == queue_name)

    # -- the dispatcher thread ---------------------------------------------------------

    def _dispatch(self) -> None:
        next_recovery = 0.0
        next_beat = time.monotonic() + self.timings.heartbeat
        while True:
            # Cleared before looking, so a job that ends while we look wakes the next wait.
            self._wake.clear()
            now = time.monotonic()
            if self._abandoned.is_set() or (self._stopping.is_set() and not self.running()):
                return
            try:
                if now >= next_beat:
                    next_beat = now + self.timings.heartbeat
                    queue.heartbeat(self.services.sessions, self.running())
                    queue.see_worker(self.services.sessions, self.worker_id)
                if not self._stopping.is_set():
                    if now >= next_recovery:
                        next_recovery = now + self.timings.recovery
                        recovered = queue.recover_stale(
                            self.services.sessions, timedelta(seconds=self.timings.stale_after)
                        )
                        if recovered:
                            log.warning("%d job(s) of stopped workers put back", recovered)
                        stranded = queue.strand_sealed(
                            self.services.sessions, timedelta(seconds=self.timings.stale_after)
                        )
                        if stranded:
                            log.warning(
                                "%d job(s) cancelled: their secret was sealed only to "
                                "workers that stopped",
                                len(stranded),
                            )
                    self._fill()
            except Exception:
                # The database may be away for a while: try again at the next turn.
                log.exception("job runner %s: a turn failed", self.worker_id)
            self._wake.wait(max(0.0, min(self.timings.poll, next_beat - time.monotonic())))

    def _free(self, group: list[str]) -> list[str]:
        with self._lock:
            busy = [job.queue for job in self._running.values()]
        return [name for name in group if busy.count(name) < self._limits[name]]

    def _fill(self) -> None:
        for group in self._groups:
            while not self._stopping.is_set():
                free = self._free(group)
                if not free:
                    break
                job = queue.claim(
                    self.services.sessions, free, self.worker_id, kinds=list(self._handlers)
                )
                if job is None:
                    break
                self._launch(job)

    def _launch(self, job: Job) -> None:
        with self._lock:
            self._running[job.id] = job
        thread = threading.Thread(
            target=self._run, args=(job,), name=f"job {job.kind} {job.id}", daemon=True
        )
        thread.start()

    # -- a job's thread ----------------------------------------------------------------

    def _secret(self, job: Job) -> bytes | None:
        if not job.sealed:
            return None
        sealed = queue.sealed_secret(self.services.sessions, job.id, self.worker_id)
        if sealed is None:
            raise JobGaveUp("the job's secret was not sealed to this worker")
        try:
            return self._key.open(sealed, job.id, self.worker_id)
        except InvalidTag as exc:
            raise JobGaveUp("the job's secret does not open with this worker's key") from exc

    def _run(self, job: Job) -> None:
        sessions = self.services.sessions
        retry_base = timedelta(seconds=self.timings.retry_base)
        state: JobState | None = JobState.succeeded
        try:
            try:
                context = JobContext(
                    job_id=job.id,
                    payload=job.payload,
                    attempt=job.attempts,
                    max_attempts=job.max_attempts,
                    progress=_Progress(self.services, job),
                    stopping=self._stopping.is_set,
                    secret=self._secret(job),
                )
                result = self._handlers[job.kind].run(self.services, context)
                _check_json(result)
            except JobGaveUp as exc:
                log.warning("job %s (%s) gave up: %s", job.id, job.kind, exc)
                state = queue.fail(sessions, job, _describe(exc), retry=False)
            except RetryLater as exc:
                log.info("job %s (%s) will be tried again: %s", job.id, job.kind, exc)
                state = queue.fail(sessions, job, _describe(exc), retry_base=retry_base)
            except Exception as exc:
                log.exception("job %s (%s) failed", job.id, job.kind)
                state = queue.fail(sessions, job, _describe(exc), retry_base=retry_base)
            else:
                queue.succeed(sessions, job, result)
            if job.sealed and state in (JobState.succeeded, JobState.failed):
                queue.forget_secrets(sessions, job.id)
        except Exception:
            # The outcome could not be written (the database is away): the heartbeat stops
            # with this run, and recovery runs the job again.
            log.exception("job %s (%s): its outcome could not be recorded", job.id, job.kind)
        finally:
            with self._lock:
                self._running.pop(job.id, None)
            self._wake.set()


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _check_json(result: JobResult) -> None:
    if result is not None:
        try:
            json.dumps(dict(result))
        except (TypeError, ValueError) as exc:
            raise JobGaveUp(f"the job's result is not JSON ({exc})") from exc


def run_until(
    runner: JobRunner,
    stop: threading.Event,
    *,
    drain: float | None = None,
    hurry: threading.Event | None = None,
) -> bool:
    """Run ``runner`` in the calling thread's stead until ``stop`` is set (by a signal
    handler), then drain it; whether every job finished in the drain."""
    runner.start()
    # Short waits, so a signal's handler runs promptly in the main thread.
    while not stop.wait(0.5):
        pass
    return runner.stop(drain, hurry)
