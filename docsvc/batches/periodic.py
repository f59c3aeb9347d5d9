"""The batches' scheduled work: jobs whose process died are marked interrupted, and their
owner resumes them with the PIN."""

from __future__ import annotations

import logging
from datetime import timedelta

from docsvc.batches.service import interrupt_stale_jobs
from docsvc.periodic import PeriodicTask
from docsvc.services import Services

log = logging.getLogger("docsvc.periodic")


def interrupt_stale_batches(services: Services) -> None:
    count = interrupt_stale_jobs(services)
    if count:
        log.warning("%d batch jobs lost their process and wait to be resumed", count)


TASKS = (PeriodicTask("batch recovery", timedelta(minutes=1), interrupt_stale_batches),)
