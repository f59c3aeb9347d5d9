"""The named queues and how many jobs of each one process runs at once.

Each queue has slots of its own, and a worker never lends a queue's slots to another: a
night of OCR or exports fills only their few slots, and a signature or a registration
queued behind them starts as soon as one of its own queue's slots is free. The high
queues are claimed first whenever slots of both kinds are free."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from docsvc.config import Settings


class Urgency(StrEnum):
    high = "high"  # people wait for it: signing, registering, notifying
    low = "low"  # long work nobody watches: exports, fixity checks, preservation, OCR


@dataclass(frozen=True, slots=True)
class Queue:
    name: str
    urgency: Urgency
    # Jobs of this queue one process runs at once (``DOCSVC_JOB_CONCURRENCY`` overrides).
    concurrency: int
    # The priority a job gets when its enqueuer names none (higher runs first).
    default_priority: int = 0


QUEUES: tuple[Queue, ...] = (
    Queue("signing", Urgency.high, 4, 100),
    Queue("register", Urgency.high, 2, 100),
    Queue("notifications", Urgency.high, 2, 50),
    Queue("exports", Urgency.low, 2),
    Queue("fixity", Urgency.low, 1),
    Queue("preservation", Urgency.low, 1),
    Queue("ocr", Urgency.low, 1),
)
QUEUE_NAMES = frozenset(queue.name for queue in QUEUES)


def queue_named(name: str) -> Queue:
    for queue in QUEUES:
        if queue.name == name:
            return queue
    raise ValueError(f"no job queue is called {name!r} (there are: {', '.join(_names())})")


def _names() -> list[str]:
    return [queue.name for queue in QUEUES]


def concurrency_limits(
    settings: Settings,
    only: Iterable[str] | None = None,
    overrides: Mapping[str, int] | None = None,
) -> dict[str, int]:
    """Each queue this process serves and its number of slots: the table's, then
    ``DOCSVC_JOB_CONCURRENCY``, then ``overrides`` (the worker's ``--concurrency``).
    ``only`` names the queues to serve (all of them by default). Unknown names and
    negative numbers are refused with ``ValueError``, at start rather than never noticed."""
    chosen = list(only) if only is not None else _names()
    for name in chosen:
        queue_named(name)
    limits = {name: queue_named(name).concurrency for name in chosen}
    for source in (settings.job_concurrency, overrides or {}):
        for name, number in source.items():
            queue_named(name)
            if number < 0:
                raise ValueError(f"the job queue {name!r} cannot run {number} jobs at once")
            if name in limits:
                limits[name] = number
    return {name: number for name, number in limits.items() if number > 0}
