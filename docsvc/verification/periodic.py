"""The public verifier's scheduled work: files kept for the public verification page are
deleted from the object store when their time is up."""

from __future__ import annotations

import logging
from datetime import timedelta

from docsvc.periodic import PeriodicTask
from docsvc.services import Services
from docsvc.verification import retained

log = logging.getLogger("docsvc.periodic")


def sweep_retained_verifications(services: Services) -> None:
    gone = retained.sweep(services.store)
    if gone:
        log.info("deleted %d files kept for the public verification page", gone)


# The kept files are in the object store the whole deployment shares: one process sweeps.
TASKS = (
    PeriodicTask(
        "verification sweep",
        timedelta(minutes=1),
        sweep_retained_verifications,
        once_per_deployment=True,
    ),
)
