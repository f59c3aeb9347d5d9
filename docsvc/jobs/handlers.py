"""What a feature declares to have its jobs run: a ``JobHandler`` per kind of job.

A feature lists its handlers in its own module (``JOB_HANDLERS``), as it lists its
periodic tasks, and the composition root collects them (``docsvc.composition``): this
package knows no feature, and the runner is handed the table it runs."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from docsvc.config import Settings
from docsvc.services import Services

# What a handler may return: kept as the job's ``result`` (JSON), or nothing.
JobResult = Mapping[str, Any] | None


class ProgressReporter(Protocol):
    def __call__(self, done: int, total: int) -> bool:
        """Record how far the job has come. False once the job is no longer this worker's
        (its heartbeat went stale and it was handed to another): the handler should stop,
        as whatever it does next is done again elsewhere."""
        ...


@dataclass(frozen=True, slots=True)
class JobContext:
    """What a handler is given besides the services."""

    job_id: uuid.UUID
    payload: Mapping[str, Any]
    # 1 for the first run; a handler may use it to skip what an earlier attempt did.
    attempt: int
    max_attempts: int
    progress: ProgressReporter
    # True once the worker is stopping: a long handler may return early (raising
    # ``RetryLater``) and be resumed by another worker, rather than hold up the stop.
    stopping: Callable[[], bool]
    # What the job was enqueued with as ``secret``, opened with this worker's key
    # (``docsvc.jobs.sealing``); None for a job without one.
    secret: bytes | None = field(default=None, repr=False)


class JobGaveUp(Exception):
    """Raised by a handler when trying again cannot help (the payload names a document
    that is gone): the job fails at once, its message kept as the error."""


class RetryLater(Exception):
    """Raised by a handler to be run again after the usual back-off; like any other
    exception, but logged without a traceback since it is expected."""


@dataclass(frozen=True, slots=True)
class JobHandler:
    # The ``kind`` jobs are enqueued with: at most 64 characters, unique in the service.
    kind: str
    # Runs in a worker thread with the services of its process. It opens its own database
    # sessions and commits its own work; a job may run more than once (a worker that dies
    # after the work but before recording it), so a handler makes its work idempotent.
    run: Callable[[Services, JobContext], JobResult]
    # Called once when a runner that serves this kind starts, on a thread of its own: what
    # the jobs need ready (worker processes) is started before the first job comes.
    warm: Callable[[Services], None] | None = None
    # The queue its jobs are enqueued on: a runner that does not serve it does not warm.
    queue: str | None = None
    # Whether a runner with these settings takes such jobs at all (e-mail only with an SMTP
    # server): one that does not leaves them queued for one that does.
    enabled: Callable[[Settings], bool] | None = None

    def runs_with(self, settings: Settings) -> bool:
        return self.enabled is None or self.enabled(settings)


def handler_table(handlers: Iterable[JobHandler]) -> Mapping[str, JobHandler]:
    """The handlers by kind; two with one kind are refused, rather than one silently
    winning."""
    table: dict[str, JobHandler] = {}
    for handler in handlers:
        if not handler.kind or len(handler.kind) > 64:
            raise ValueError(f"a job kind has 1 to 64 characters: {handler.kind!r}")
        if handler.kind in table:
            raise ValueError(f"two job handlers for the kind {handler.kind!r}")
        table[handler.kind] = handler
    return table
