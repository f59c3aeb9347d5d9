"""Work the service does on its own, on a schedule. Each feature declares its tasks in its
own ``periodic.py`` as ``PeriodicTask`` values; ``docsvc.composition`` collects them and the
application's lifespan runs them, one asyncio task each, the work itself in a thread."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from starlette.concurrency import run_in_threadpool

from docsvc.config import Settings
from docsvc.services import Services

log = logging.getLogger("docsvc.periodic")


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


async def run_forever(task: PeriodicTask, services: Services) -> None:
    """Run the task's work in a thread now (or after one interval) and then every interval;
    a failure is logged and tried again at the next turn, never stopping the service."""
    if task.wait_first:
        await asyncio.sleep(task.interval.total_seconds())
    while True:
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
        await asyncio.sleep(task.interval.total_seconds())


def start(tasks: tuple[PeriodicTask, ...], services: Services) -> list[asyncio.Task[None]]:
    return [
        asyncio.create_task(run_forever(task, services), name=task.name)
        for task in tasks
        if task.enabled(services.settings)
    ]
