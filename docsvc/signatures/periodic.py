"""Signing sessions end on time even for officials who never come back: each process
forgets the keys it parsed or a PIN opened, and once per deployment the sealed keys of
expired sessions are deleted from the database."""

from __future__ import annotations

from datetime import timedelta

from docsvc.db.base import utcnow
from docsvc.periodic import PeriodicTask
from docsvc.services import Services
from docsvc.signatures import sessions


def forget_expired_keys(services: Services) -> None:
    services.signing.keys.sweep(utcnow())
    services.signing.recent.sweep(utcnow())


def delete_expired_sessions(services: Services) -> None:
    with services.sessions() as db:
        sessions.sweep(db, utcnow())
        db.commit()


TASKS = (
    # Each process forgets the keys it holds in memory.
    PeriodicTask(
        "expired key sweep",
        timedelta(seconds=30),
        forget_expired_keys,
        wait_first=True,
        once_per_deployment=False,
    ),
    PeriodicTask(
        "expired signing session sweep",
        timedelta(minutes=5),
        delete_expired_sessions,
        wait_first=True,
    ),
)
