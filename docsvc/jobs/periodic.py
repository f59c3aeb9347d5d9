"""The queue's own upkeep: finished jobs do not pile up in the table for ever."""

from __future__ import annotations

from datetime import timedelta

from docsvc.jobs.queue import prune_finished
from docsvc.periodic import PeriodicTask
from docsvc.services import Services

PRUNE_INTERVAL = timedelta(days=1)
# A setting of 0 keeps jobs of that kind: far beyond any deployment's life.
_FOR_EVER = timedelta(days=365 * 1000)


def _days(days: int) -> timedelta:
    return timedelta(days=days) if days > 0 else _FOR_EVER


def prune_jobs(services: Services) -> int:
    settings = services.settings
    return prune_finished(
        services.sessions,
        keep=_days(settings.job_keep_days),
        keep_failed=_days(settings.job_keep_failed_days),
    )


TASKS = (PeriodicTask("job pruning", PRUNE_INTERVAL, prune_jobs, wait_first=True),)
