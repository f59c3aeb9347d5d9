"""Mailing on the job queue: ``mail.send`` jobs of the ``notifications`` queue.

- A transaction that writes notifications to be mailed queues one ``mail.send`` job in
  itself (``mail_after_commit``), and this process's runners wake when it commits: the
  job exists exactly when the notifications do.
- The job mails every item that is due (``outbox.send_pending``: batches over one SMTP
  connection, every failure recorded on its item, the fifth one final). When items are
  left waiting for a later attempt of ``outbox.RETRY_AFTER`` (the server was down), it
  queues the next run for when the first of them is due (``follow_up``), so the retry
  schedule is the outbox's own, counted from each notification's creation. A job that
  raises (the database away) is retried with the queue's back-off.
- ``rescue``, a slow periodic task, queues a run when items are due and no job would
  mail them (one lost with its worker, or never queued by an older version).

While e-mail is off nothing is queued, and a runner without SMTP does not take these
jobs (``JobHandler.enabled``). On PostgreSQL the outbox's row locks keep two runs from
mailing one item; SQLite has no row locks, so a process runs one at a time.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import asdict
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from docsvc.config import Settings
from docsvc.db.base import utcnow
from docsvc.jobs.handlers import JobContext, JobHandler, JobResult
from docsvc.jobs.queue import enqueue
from docsvc.jobs.runner import wake_local
from docsvc.models import Job, JobState
from docsvc.notifications.outbox import RETRY_AFTER, send_pending
from docsvc.notifications.repository import next_due
from docsvc.services import Services

log = logging.getLogger("docsvc.notifications")

MAIL_KIND = "mail.send"
QUEUE = "notifications"
# A run that left due items behind stopped at a failed batch (the server is out): the
# rest are tried again this much later, as the outbox's old five-second turn did.
AGAIN_AFTER = timedelta(seconds=5)
# ``Session.info`` key: the transaction that already queued its job.
_QUEUED_IN = "docsvc.notifications.mail_job_queued_in"


def mail_after_commit(db: Session, services: Services) -> None:
    """Have the notifications written in ``db``'s transaction mailed once it commits: one
    ``mail.send`` job per transaction, however many notifications it writes. Nothing
    while e-mail is off."""
    if not services.settings.smtp_enabled:
        return
    transaction = db.get_transaction()
    if transaction is not None and db.info.get(_QUEUED_IN) is transaction:
        return
    enqueue(db, MAIL_KIND, {}, queue=QUEUE, on_commit=lambda: wake_local(services))
    db.info[_QUEUED_IN] = db.get_transaction()


class _Sending:
    """One ``mail.send`` at a time in a process (see the module's docstring)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()

    def close(self) -> None:
        pass


def send(services: Services, context: JobContext) -> JobResult:
    """The job: mail what is due, then queue the run for what waits for a later attempt.
    Its result counts the items sent, without an address, failed for now (retrying) and
    failed for the last time."""
    with services.shared("e-mail sending", _Sending).lock:
        report = send_pending(services)
        follow_up(services)
    if report.failed:
        log.warning("%d e-mail(s) failed for the last time", report.failed)
    return asdict(report)


def _queued_by(db: Session, moment: datetime) -> bool:
    """Whether a ``mail.send`` job is queued to run by ``moment``."""
    found = db.scalar(
        select(Job.id)
        .where(
            Job.kind == MAIL_KIND,
            Job.state == JobState.queued.value,
            Job.run_after <= moment,
        )
        .limit(1)
    )
    return found is not None


def follow_up(services: Services, *, now: datetime | None = None) -> bool:
    """Queue a run for when the first item left pending is due, unless one is queued by
    then already; whether it queued one."""
    now = now or utcnow()
    with services.sessions() as db:
        due = next_due(db, RETRY_AFTER)
        if due is None:
            return False
        at = max(due, now + AGAIN_AFTER)
        if _queued_by(db, at):
            return False
        enqueue(db, MAIL_KIND, {}, queue=QUEUE, run_after=at)
        db.commit()
    return True


def rescue(services: Services, *, now: datetime | None = None) -> bool:
    """Queue a run when items are due and no ``mail.send`` job runs or is queued to run
    now; whether it queued one. The periodic safety net: nothing is stranded for long
    when a job was lost."""
    now = now or utcnow()
    with services.sessions() as db:
        due = next_due(db, RETRY_AFTER)
        if due is None or due > now or _queued_by(db, now):
            return False
        running = db.scalar(
            select(Job.id)
            .where(Job.kind == MAIL_KIND, Job.state == JobState.running.value)
            .limit(1)
        )
        if running is not None:
            return False
        enqueue(db, MAIL_KIND, {}, queue=QUEUE, on_commit=lambda: wake_local(services))
        db.commit()
    log.warning("e-mails were due with no job to send them; one was queued")
    return True


def smtp_enabled(settings: Settings) -> bool:
    """Whether this deployment mails (a runner or a periodic task without SMTP stands by)."""
    return settings.smtp_enabled


JOB_HANDLERS = (JobHandler(MAIL_KIND, send, queue=QUEUE, enabled=smtp_enabled),)
