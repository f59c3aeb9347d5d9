"""Keys unlocked for a signing session are forgotten when the session ends, even for
officials who never come back, so no parsed key outlives its session by much."""

from __future__ import annotations

from datetime import timedelta

from docsvc.db.base import utcnow
from docsvc.periodic import PeriodicTask
from docsvc.services import Services


def forget_expired_keys(services: Services) -> None:
    services.signing.keys.sweep(utcnow())
    services.signing.recent.sweep(utcnow())


TASKS = (
    # Each process forgets the keys it holds in memory.
    PeriodicTask(
        "expired key sweep",
        timedelta(seconds=30),
        forget_expired_keys,
        wait_first=True,
        once_per_deployment=False,
    ),
)
