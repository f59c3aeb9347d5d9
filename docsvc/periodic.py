"""Work the service does on its own, on a schedule. Each feature declares its tasks in its
own ``periodic.py`` as ``PeriodicTask`` values; ``docsvc.composition`` collects them and the
application's lifespan runs them, one asyncio task each, the work itself in a thread.

Every app process runs the loops, but work on the shared database and store runs once per
deployment: before each turn a process takes it in ``periodic_turns`` (one conditional
UPDATE, so two processes never both take it), and the others let it pass. Work on a
process's own memory or disk (forgetting its unlocked keys) runs in every process.

The periods are the same for every process and host: a task's interval cut out of time
from the Unix epoch (a 10-minute task's periods start at :00, :10, :20...), each divided by
``DOCSVC_PERIODIC_TIME_SCALE`` (1 but in tests and demonstrations). A turn is taken at most
once per period: taking it sets ``next_at`` to the next period's start. Each process looks
once per period, at a random moment of the period's first twentieth (2 s at most), so one of
them takes it, and which one is left to chance rather than to whoever started first."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from docsvc.config import Settings
from docsvc.db.base import utcnow
from docsvc.models import PeriodicTurn
from docsvc.services import Services

log = logging.getLogger("docsvc.periodic")

# Periods are counted from here, so that every process and host cuts time alike.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Each process looks for its turn at a random moment this far into the period (a share of
# the period, at most the cap), so that the turns fall to any of them.
LOOK_SPREAD = 0.05
LOOK_SPREAD_MAX = timedelta(seconds=2)
SHORTEST_PERIOD = timedelta(milliseconds=1)


def always(settings: Settings) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class PeriodicTask:
    name: str
    interval: timedelta
    work: Callable[[Services], object]
    # Tasks whose first turn would only repeat what start-up just did wait one interval.
    wait_first: bool = False
    # Whether this deployment runs the task at all (e-mail only with an SMTP server).
    enabled: Callable[[Settings], bool] = always
    # Work on the shared database and store: one process of the deployment per turn. Work
    # on a process's own memory or files: every process.
    once_per_deployment: bool = True

    def period(self, settings: Settings) -> timedelta:
        """The interval as the schedule runs it: divided by ``DOCSVC_PERIODIC_TIME_SCALE``
        (to the microsecond, the same in every process with the same setting)."""
        return max(self.interval / settings.periodic_time_scale, SHORTEST_PERIOD)


def period_start(moment: datetime, period: timedelta) -> datetime:
    """The start of the period ``moment`` falls in."""
    return EPOCH + period * ((moment - EPOCH) // period)


def next_period(moment: datetime, period: timedelta) -> datetime:
    """The start of the period after the one ``moment`` falls in."""
    return period_start(moment, period) + period


# A generator of its own, not the random module's shared one: drawing from that in a
# background thread changes what code on other threads (property tests' strategies) sees.
_SPREAD = random.Random()  # noqa: S311


def until_next_look(period: timedelta, now: datetime | None = None) -> float:
    """Seconds until this process looks for its turn again: the next period's start, plus a
    random moment of its first twentieth (at most ``LOOK_SPREAD_MAX``)."""
    now = now or utcnow()
    spread = min(period * LOOK_SPREAD, LOOK_SPREAD_MAX)
    # Not a secret: it only spreads the processes' looks (hence S311).
    late = spread * _SPREAD.random()
    return (next_period(now, period) - now + late).total_seconds()


def take_turn(services: Services, task: PeriodicTask, now: datetime | None = None) -> bool:
    """Whether this process takes the task's turn now: its next turn was due, and no other
    process took it first. Taking it sets the next one at the next period's start."""
    now = now or utcnow()
    upcoming = next_period(now, task.period(services.settings))
    who = f"{socket.gethostname()}:{os.getpid()}"[:200]
    with services.sessions() as db:
        result = db.execute(
            update(PeriodicTurn)
            .where(PeriodicTurn.name == task.name, PeriodicTurn.next_at <= now)
            .values(next_at=upcoming, taken_by=who, taken_at=now)
            .execution_options(synchronize_session=False)
        )
        if int(getattr(result, "rowcount", 0) or 0):
            db.commit()
            return True
        if db.get(PeriodicTurn, task.name) is not None:
            db.rollback()
            return False
        db.add(PeriodicTurn(name=task.name, next_at=upcoming, taken_by=who, taken_at=now))
        try:
            db.commit()
        except IntegrityError:  # another process made the row, and took the turn, first
            db.rollback()
            return False
        return True


async def _my_turn(task: PeriodicTask, services: Services) -> bool:
    if not task.once_per_deployment:
        return True
    try:
        return await run_in_threadpool(take_turn, services, task)
    except Exception:
        log.exception("%s: its turn could not be taken", task.name)
        return False


async def run_forever(task: PeriodicTask, services: Services) -> None:
    """Run the task's work in a thread now (or after one period) and then once a period; a
    failure is logged and tried again at the next turn, never stopping the service."""
    period = task.period(services.settings)
    if task.wait_first:
        await asyncio.sleep(period.total_seconds())
    while True:
        if not await _my_turn(task, services):
            await asyncio.sleep(until_next_look(period))
            continue
        run = asyncio.ensure_future(run_in_threadpool(task.work, services))
        try:
            await asyncio.shield(run)
        except asyncio.CancelledError:
            # A thread cannot be stopped: let it finish (an SMTP send is bounded by its
            # timeout) before the service closes the database under it.
            with contextlib.suppress(Exception):
                await run
            raise
        except Exception:
            log.exception("%s failed", task.name)
        await asyncio.sleep(until_next_look(period))


def start(tasks: tuple[PeriodicTask, ...], services: Services) -> list[asyncio.Task[None]]:
    return [
        asyncio.create_task(run_forever(task, services), name=task.name)
        for task in tasks
        if task.enabled(services.settings)
    ]
