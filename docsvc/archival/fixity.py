"""Fixity audits: every stored object re-read at a steady rate and checked against its key.

An object is kept under the SHA-256 of its bytes, and the store checks that hash whenever
an object is read. A record that nobody opens for years is never read, so silent damage
(a disk's bit rot, a bucket changed or emptied by hand) would show only when someone needs
it. A fixity pass reads every object the database points to, in key order, at
``DOCSVC_FIXITY_MB_PER_SECOND``, so that it never crowds out the service's own reads.

- A pass is a row (``FixityPass``) with its cursor: the last key checked. It runs as
  ``fixity.audit`` jobs on the low ``fixity`` queue; a job that stops (the worker
  draining, killed) leaves the cursor where it got to, and the next job goes on from there.
- An object changed or missing raises a ``FixityAlert`` and an audit event
  (``fixity.mismatch``, ``fixity.missing``), and the archivist's page shows it with the
  documents whose versions it holds. A later pass that finds it intact again (restored
  from a backup) closes the alert (``fixity.restored``).
- The periodic task starts a pass ``DOCSVC_FIXITY_EVERY_DAYS`` after the last one started
  and enqueues a job while a pass is unfinished and none is queued or running; an
  archivist can start one from the page.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from docsvc.actors.actor import Actor
from docsvc.audit.service import record_event
from docsvc.db.base import utcnow
from docsvc.db.engine import transaction
from docsvc.errors import Conflict
from docsvc.jobs.handlers import JobContext, JobHandler, JobResult
from docsvc.jobs.queue import enqueue
from docsvc.jobs.runner import wake_local
from docsvc.models import (
    Document,
    DocumentVersion,
    FixityAlert,
    FixityPass,
    FixityProblem,
    Job,
    JobState,
)
from docsvc.periodic import PeriodicTask
from docsvc.services import Services
from storage import IntegrityError, ObjectNotFound, ObjectStore

log = logging.getLogger("docsvc.fixity")

KIND = "fixity.audit"
QUEUE = "fixity"
# Keys read from the database at a time, and how often the cursor is saved: an
# interrupted pass reads again at most this many objects, or this many seconds' worth.
SLICE = 100
SAVE_EVERY_OBJECTS = 20
SAVE_EVERY_SECONDS = 2.0
UPKEEP_INTERVAL = timedelta(minutes=10)
CHUNK = 1024 * 1024


class Pace:
    """Sleeps as needed so that reading stays at ``bytes_per_second`` on average (0: no
    limit). The allowance starts when the pace is made."""

    def __init__(self, bytes_per_second: float) -> None:
        self._rate = bytes_per_second
        self._start = time.monotonic()
        self._read = 0

    def consumed(self, size: int) -> None:
        self._read += size
        if self._rate <= 0:
            return
        ahead = self._read / self._rate - (time.monotonic() - self._start)
        if ahead > 0:
            time.sleep(ahead)


def check_object(store: ObjectStore, key: str, pace: Pace) -> tuple[str | None, int]:
    """The problem found with the object (``FixityProblem``), or None, and the bytes read."""
    read = 0
    try:
        for chunk in store.iter_chunks(key, CHUNK):
            read += len(chunk)
            pace.consumed(len(chunk))
    except ObjectNotFound:
        return FixityProblem.missing, read
    except IntegrityError:
        return FixityProblem.mismatch, read
    return None, read


def _stored_keys() -> Select[str]:
    """Every object the database points to as a record's content."""
    return select(DocumentVersion.sha256).distinct()


def current_pass(db: Session) -> FixityPass | None:
    return db.scalar(
        select(FixityPass)
        .where(FixityPass.finished_at.is_(None))
        .order_by(FixityPass.started_at.desc())
        .limit(1)
    )


def last_finished_pass(db: Session) -> FixityPass | None:
    return db.scalar(
        select(FixityPass)
        .where(FixityPass.finished_at.is_not(None))
        .order_by(FixityPass.started_at.desc())
        .limit(1)
    )


def _last_started(db: Session) -> datetime | None:
    return db.scalar(select(func.max(FixityPass.started_at)))


def start_pass(db: Session, requested_by: uuid.UUID | None = None) -> FixityPass:
    """A new pass over every object the database points to now, or the unfinished one."""
    unfinished = current_pass(db)
    if unfinished is not None:
        return unfinished
    total = db.scalar(select(func.count()).select_from(_stored_keys().subquery())) or 0
    audit = FixityPass(
        id=uuid.uuid4(),
        started_at=utcnow(),
        requested_by_id=requested_by,
        total=total,
        cursor="",
        checked=0,
        bytes_read=0,
        mismatched=0,
        missing=0,
        updated_at=utcnow(),
    )
    db.add(audit)
    db.flush()
    return audit


def _job_pending(db: Session) -> bool:
    return (
        db.scalar(
            select(Job.id)
            .where(
                Job.kind == KIND,
                Job.state.in_([JobState.queued.value, JobState.running.value]),
            )
            .limit(1)
        )
        is not None
    )


def _enqueue(db: Session, services: Services) -> None:
    enqueue(db, KIND, {}, queue=QUEUE, on_commit=lambda: wake_local(services))


def request_pass(db: Session, services: Services, actor: Actor) -> FixityPass:
    """An archivist's "check now": a pass starts (unless one is under way) and runs."""
    if current_pass(db) is not None and _job_pending(db):
        raise Conflict(
            "A fixity check is already under way; its progress is on this page.",
            code="fixity_running",
        )
    audit = start_pass(db, actor.user_id)
    if not _job_pending(db):
        _enqueue(db, services)
    record_event(db, actor, "fixity.requested", object_type="fixity_pass", object_id=str(audit.id))
    return audit


def fixity_upkeep(services: Services, *, now: datetime | None = None) -> bool:
    """Start the pass that is due and see that an unfinished one has a job; True when a
    job was enqueued."""
    now = now or utcnow()
    every = timedelta(days=services.settings.fixity_every_days)
    with services.sessions() as db:
        if _job_pending(db):
            return False
        if current_pass(db) is None:
            last = _last_started(db)
            if last is not None and last + every > now:
                return False
            start_pass(db)
        _enqueue(db, services)
        db.commit()
    return True


def _holders(db: Session, key: str) -> list[tuple[uuid.UUID, str, int]]:
    """The documents whose versions are these bytes: id, title and version number."""
    rows = db.execute(
        select(Document.id, Document.title, DocumentVersion.number)
        .join(DocumentVersion, DocumentVersion.document_id == Document.id)
        .where(DocumentVersion.sha256 == key)
        .order_by(Document.title, DocumentVersion.number)
        .limit(20)
    )
    return [(doc_id, title, number) for doc_id, title, number in rows]


def _note_problem(db: Session, audit: FixityPass, key: str, problem: str) -> None:
    if problem == FixityProblem.mismatch:
        audit.mismatched += 1
    else:
        audit.missing += 1
    already = db.scalar(
        select(FixityAlert.id).where(
            FixityAlert.object_key == key,
            FixityAlert.problem == problem,
            FixityAlert.resolved_at.is_(None),
        )
    )
    if already is not None:
        return
    db.add(FixityAlert(object_key=key, problem=problem, pass_id=audit.id, found_at=utcnow()))
    documents = [f"{doc_id} v{number}" for doc_id, _, number in _holders(db, key)]
    record_event(
        db,
        None,
        f"fixity.{problem}",
        object_type="object",
        object_id=key,
        outcome="failed",
        details={"documents": documents},
    )
    log.error("fixity: object %s is %s (%s)", key, problem, ", ".join(documents))


def _note_intact(db: Session, key: str) -> None:
    open_alerts = list(
        db.scalars(
            select(FixityAlert).where(
                FixityAlert.object_key == key, FixityAlert.resolved_at.is_(None)
            )
        )
    )
    for alert in open_alerts:
        alert.resolved_at = utcnow()
    if open_alerts:
        record_event(db, None, "fixity.restored", object_type="object", object_id=key)


@dataclass(slots=True)
class _Tally:
    """What was checked since the cursor was last saved."""

    checked: int = 0
    bytes_read: int = 0
    cursor: str = ""


def _save(db: Session, audit_id: uuid.UUID, tally: _Tally) -> FixityPass:
    audit = db.get(FixityPass, audit_id)
    assert audit is not None
    audit.cursor = tally.cursor
    audit.checked += tally.checked
    audit.bytes_read += tally.bytes_read
    audit.updated_at = utcnow()
    return audit


def run_audit(services: Services, context: JobContext) -> JobResult:
    """Go on with the unfinished pass from its cursor until every object is checked (or
    the worker stops: the next job goes on from where this one got to)."""
    store = services.store
    pace = Pace(services.settings.fixity_mb_per_second * 1_000_000)
    with services.sessions() as db:
        audit = current_pass(db)
        if audit is None:
            return {"pass": None}
        audit_id, cursor, total = audit.id, audit.cursor, audit.total
        done = audit.checked
    while not context.stopping():
        with services.sessions() as db:
            keys = list(
                db.scalars(
                    _stored_keys()
                    .where(DocumentVersion.sha256 > cursor)
                    .order_by(DocumentVersion.sha256)
                    .limit(SLICE)
                )
            )
            # The slice's objects with an open alert: one found intact again closes it.
            alerted = set(
                db.scalars(
                    select(FixityAlert.object_key).where(
                        FixityAlert.resolved_at.is_(None), FixityAlert.object_key.in_(keys)
                    )
                )
            )
        if not keys:
            with transaction(services.sessions) as db:
                audit = db.get(FixityPass, audit_id)
                assert audit is not None
                audit.finished_at = utcnow()
                audit.updated_at = utcnow()
                result: JobResult = {
                    "pass": str(audit_id),
                    "checked": audit.checked,
                    "mismatched": audit.mismatched,
                    "missing": audit.missing,
                }
            log.info("fixity pass %s finished: %s", audit_id, result)
            return result
        tally = _Tally(cursor=cursor)
        saved_at = time.monotonic()
        for key in keys:
            if context.stopping():
                break
            problem, read = check_object(store, key, pace)
            tally.checked += 1
            tally.bytes_read += read
            tally.cursor = key
            # A problem, or an alert to close, is written at once, with the cursor; else
            # the cursor is saved now and then.
            if (
                problem is not None
                or key in alerted
                or tally.checked >= SAVE_EVERY_OBJECTS
                or time.monotonic() - saved_at >= SAVE_EVERY_SECONDS
            ):
                with transaction(services.sessions) as db:
                    audit = _save(db, audit_id, tally)
                    if problem is not None:
                        _note_problem(db, audit, key, problem)
                    elif key in alerted:
                        _note_intact(db, key)
                done += tally.checked
                tally = _Tally(cursor=key)
                saved_at = time.monotonic()
            context.progress(done + tally.checked, max(total, done + tally.checked))
        with transaction(services.sessions) as db:
            _save(db, audit_id, tally)
        done += tally.checked
        cursor = tally.cursor
    return {"pass": str(audit_id), "paused_at": cursor}


@dataclass(frozen=True, slots=True)
class AlertShown:
    object_key: str
    problem: str
    found_at: datetime
    resolved_at: datetime | None
    documents: list[tuple[uuid.UUID, str, int]]  # document id, title, version number


@dataclass(frozen=True, slots=True)
class FixityStatus:
    current: FixityPass | None
    last: FixityPass | None
    next_at: datetime | None
    open_alerts: list[AlertShown]
    resolved_alerts: list[AlertShown]


def _shown(db: Session, alert: FixityAlert) -> AlertShown:
    return AlertShown(
        alert.object_key,
        alert.problem,
        alert.found_at,
        alert.resolved_at,
        _holders(db, alert.object_key),
    )


def status(db: Session, services: Services) -> FixityStatus:
    """What the archivist's page shows."""
    last_started = _last_started(db)
    current = current_pass(db)
    next_at = (
        None
        if current is not None or last_started is None
        else last_started + timedelta(days=services.settings.fixity_every_days)
    )
    open_alerts = db.scalars(
        select(FixityAlert)
        .where(FixityAlert.resolved_at.is_(None))
        .order_by(FixityAlert.found_at.desc())
        .limit(200)
    )
    resolved = db.scalars(
        select(FixityAlert)
        .where(FixityAlert.resolved_at.is_not(None))
        .order_by(FixityAlert.resolved_at.desc())
        .limit(20)
    )
    return FixityStatus(
        current,
        last_finished_pass(db),
        next_at,
        [_shown(db, alert) for alert in open_alerts],
        [_shown(db, alert) for alert in resolved],
    )


JOB_HANDLERS = (JobHandler(KIND, run_audit, queue=QUEUE),)
# The first turn waits one interval: a process that starts does not start reading the
# whole store at once (tests and upgrades start many).
TASKS = (PeriodicTask("fixity audit", UPKEEP_INTERVAL, fixity_upkeep, wait_first=True),)
