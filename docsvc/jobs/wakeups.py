"""Waking job runners in other processes when a job is enqueued, on PostgreSQL.

``enqueue`` sends a ``NOTIFY`` on ``CHANNEL`` in the enqueuing transaction, so PostgreSQL
delivers it only if, and when, that transaction commits. Each runner keeps one connection
of its own that listens on the channel (``Listener``) and wakes its dispatcher, so a job
enqueued by an app process starts in a ``docsvc worker`` within milliseconds instead of
the next poll. The poll stays: a notification lost while the listening connection was
down (PostgreSQL restarting) costs one poll's wait, never the job.

SQLite has no notifications; there the runners of the enqueuing process are woken at
commit (``runner.wake_local``) and the others poll.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import psycopg
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

CHANNEL = "docsvc_jobs"
# How often the listening thread looks whether it should stop, and how long it waits
# before connecting again after losing its connection (seconds).
CHECK_EVERY = 1.0
RECONNECT_AFTER = 2.0


def is_postgresql(db: Session) -> bool:
    return db.get_bind().dialect.name == "postgresql"


def notify(db: Session, queue: str) -> None:
    """Tell the listening runners that ``queue`` has a job, once ``db`` commits."""
    if is_postgresql(db):
        db.execute(text("SELECT pg_notify(:channel, :queue)"), {"channel": CHANNEL, "queue": queue})


class Listener:
    """A thread that calls ``wake`` for each notification on ``CHANNEL``, and once each
    time it (re)connects, for what was enqueued while it was not listening."""

    def __init__(self, engine: Engine, wake: Callable[[], None], name: str) -> None:
        self._engine = engine
        self._wake = wake
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._listen, name=f"listen {name}", daemon=True)

    @staticmethod
    def wanted(engine: Engine) -> bool:
        return engine.dialect.name == "postgresql"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=CHECK_EVERY + 5)

    def _connect(self) -> psycopg.Connection[Any]:
        # The engine's own connection arguments (host, credentials, TLS), on a connection
        # outside its pool: it is held for as long as the runner lives.
        args, params = self._engine.dialect.create_connect_args(self._engine.url)
        return psycopg.connect(*args, **params, autocommit=True)

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                with self._connect() as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._wake()
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=CHECK_EVERY):
                            self._wake()
            except psycopg.Error as exc:
                # The runner goes on polling meanwhile.
                log.warning("job wake-ups: listening failed (%s); trying again", exc)
                self._stop.wait(RECONNECT_AFTER)
