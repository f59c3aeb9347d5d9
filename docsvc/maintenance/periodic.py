"""Work the service does on its own, on a schedule: batch jobs whose process died are
marked interrupted (their owner resumes them with the PIN), the register gets a signed
checkpoint whenever its log has grown, the e-mail outbox is sent, and files kept for the
public verification page are deleted when their time is up."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from starlette.concurrency import run_in_threadpool

from docsvc.batches.service import interrupt_stale_jobs
from docsvc.register.checkpoints import checkpoint_if_grown
from docsvc.services import Services
from docsvc.verification import retained

log = logging.getLogger("docsvc.periodic")
STALE_JOB_CHECK_INTERVAL = timedelta(minutes=1)
CHECKPOINT_INTERVAL = timedelta(minutes=10)
RETAINED_SWEEP_INTERVAL = timedelta(minutes=1)


def interrupt_stale_batches(services: Services) -> None:
    count = interrupt_stale_jobs(services)
    if count:
        log.warning("%d batch jobs lost their process and wait to be resumed", count)


def sweep_retained_verifications(services: Services) -> None:
    gone = retained.sweep(services.settings)
    if gone:
        log.info("deleted %d files kept for the public verification page", gone)


def checkpoint_register(services: Services) -> None:
    with services.sessions() as db:
        made = checkpoint_if_grown(db, services.settings)
        db.commit()
    if made is not None:
        log.info("register checkpoint at size %d", made.size)


async def run_forever(
    name: str, interval: timedelta, work: Callable[[Services], Any], services: Services
) -> None:
    """Run ``work`` in a thread now and then every ``interval``; a failure is logged and
    tried again at the next turn, never stopping the service."""
    while True:
        run = asyncio.ensure_future(run_in_threadpool(work, services))
        try:
            await asyncio.shield(run)
        except asyncio.CancelledError:
            # A thread cannot be stopped: let it finish (an SMTP send is bounded by its
            # timeout) before the service closes the database under it.
            with contextlib.suppress(Exception):
                await run
            raise
        except Exception:
            log.exception("%s failed", name)
        await asyncio.sleep(interval.total_seconds())
