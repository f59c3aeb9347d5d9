"""The queue's operations on the ``jobs`` table.

- ``enqueue`` only adds the row to the caller's session: the job is committed with the
  change that asked for it, or not at all.
- ``claim`` hands one queued job to one worker. On PostgreSQL the candidate row is
  locked with ``FOR UPDATE SKIP LOCKED``, so claimers on many hosts pass over each other's
  rows instead of queueing on them; on SQLite (one writer at a time) a conditional UPDATE
  (``state = 'queued'``) takes it, and whoever loses the race asks again.
- The claimed ``Job`` is the worker's ticket: ``report_progress``, ``heartbeat``,
  ``succeed`` and ``fail`` change the row only while it is still that run of that worker
  (its ``locked_by`` and ``attempts``), so a worker that was presumed dead and comes back
  cannot overwrite what the job's next run records.
- ``recover_stale`` puts back the jobs whose worker stopped sending heartbeats.

Each function runs in a short transaction of its own (``sessions``), except ``enqueue``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, event, exists, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from docsvc.db.base import utcnow
from docsvc.jobs import sealing, wakeups
from docsvc.jobs.backoff import retry_delay
from docsvc.jobs.queues import queue_named
from docsvc.models import Job, JobSecret, JobState, JobWorker

DEFAULT_MAX_ATTEMPTS = 5
# How many times a SQLite claimer asks again after another took the job it picked.
_SQLITE_CLAIM_TRIES = 8
# ``jobs.error`` is Text; a traceback-sized message is cut, keeping its start.
_MAX_ERROR_CHARS = 4000

Sessions = sessionmaker[Session]


def enqueue(
    db: Session,
    kind: str,
    payload: Mapping[str, Any],
    *,
    queue: str,
    priority: int | None = None,
    owner: uuid.UUID | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    run_after: datetime | None = None,
    secret: bytes | None = None,
    live_within: timedelta = timedelta(minutes=2),
    on_commit: Callable[[], None] | None = None,
) -> Job:
    """Add a job to ``db``'s transaction; it exists once the caller commits. ``priority``
    defaults to the queue's; ``owner`` (a user id) may read it through the API.

    ``secret`` is sealed to each worker serving the queue that was seen within
    ``live_within`` (``docsvc.jobs.sealing``), and only those may claim the job; with none
    running, ``NoLiveWorker``. ``on_commit`` is called once the caller's transaction has
    committed (to wake this process's runners: ``runner.wake_local``).

    Mistakes of the calling code (an unknown queue, a payload that is not JSON) raise
    here, where the caller is, not later in a worker."""
    default = queue_named(queue).default_priority
    if not kind or len(kind) > 64:
        raise ValueError(f"a job kind has 1 to 64 characters: {kind!r}")
    if max_attempts < 1:
        raise ValueError("a job needs at least one attempt")
    if run_after is not None and run_after.tzinfo is None:
        raise ValueError("run_after must be an aware datetime")
    # A round trip through JSON: refuses what the column could not store (and copies the
    # payload, so the caller changing its dict later changes nothing).
    stored: dict[str, Any] = json.loads(json.dumps(dict(payload)))
    now = utcnow()
    job = Job(
        id=uuid.uuid4(),
        kind=kind,
        queue=queue,
        priority=default if priority is None else priority,
        state=JobState.queued.value,
        payload=stored,
        attempts=0,
        max_attempts=max_attempts,
        run_after=run_after or now,
        progress_done=0,
        progress_total=0,
        user_id=owner,
        created_at=now,
        sealed=secret is not None,
    )
    # Looked up before the job joins the session: a caller that catches NoLiveWorker and
    # goes on (a dossier's seal, left for the PIN) commits no job that nobody can run.
    workers: list[JobWorker] = []
    if secret is not None:
        workers = [
            worker
            for worker in db.scalars(select(JobWorker).where(JobWorker.seen_at > now - live_within))
            if queue in worker.queues.split(",")
        ]
        if not workers:
            raise NoLiveWorker(queue)
    db.add(job)
    wakeups.notify(db, queue)
    if on_commit is not None:
        callback = on_commit
        event.listen(db, "after_commit", lambda session: callback(), once=True)
    if secret is not None:
        for worker in workers:
            db.add(
                JobSecret(
                    job_id=job.id,
                    worker_id=worker.worker_id,
                    sealed=sealing.seal(worker.public_key, secret, job.id, worker.worker_id),
                )
            )
    return job


class NoLiveWorker(Exception):
    """No running worker serves the queue, so a secret cannot be handed to any."""

    def __init__(self, queue: str) -> None:
        super().__init__(f"no running worker serves the job queue {queue!r}")
        self.queue = queue


def claim(
    sessions: Sessions,
    queues: Collection[str],
    worker_id: str,
    *,
    kinds: Collection[str] | None = None,
    now: datetime | None = None,
) -> Job | None:
    """Take the most urgent job that may run now from ``queues`` (highest priority, then
    the longest waiting), mark it running for ``worker_id`` and count the attempt; None
    when there is none. ``kinds``, when given, limits it to the kinds this worker has
    handlers for: during an upgrade an older worker leaves a new kind to the newer ones.

    The Job returned is detached from any session: read it, and hand it back to the other
    functions of this module."""
    if not queues or (kinds is not None and not kinds):
        return None
    now = now or utcnow()
    conditions = [
        Job.state == JobState.queued.value,
        Job.queue.in_(list(queues)),
        Job.run_after <= now,
    ]
    if kinds is not None:
        conditions.append(Job.kind.in_(list(kinds)))
    # A job with a secret only for the workers it was sealed for.
    conditions.append(
        or_(
            Job.sealed.is_(False),
            exists().where(JobSecret.job_id == Job.id, JobSecret.worker_id == worker_id[:200]),
        )
    )
    candidate = (
        select(Job.id)
        .where(*conditions)
        .order_by(Job.priority.desc(), Job.run_after, Job.created_at)
        .limit(1)
    )
    with sessions() as db:
        if db.get_bind().dialect.name == "postgresql":
            # The row stays locked until the commit below; other claimers skip it and take
            # the next, so none waits and none takes the same job.
            job_id = db.scalar(candidate.with_for_update(skip_locked=True))
            if job_id is None:
                db.rollback()
                return None
            return _take(db, job_id, worker_id, now)
        for _ in range(_SQLITE_CLAIM_TRIES):
            # Reading the candidate holds no lock in SQLite; the UPDATE below is the one
            # write, and only succeeds if no one took the job in between.
            job_id = db.scalar(candidate)
            db.rollback()
            if job_id is None:
                return None
            taken = _take(db, job_id, worker_id, now)
            if taken is not None:
                return taken
        return None


def _take(db: Session, job_id: uuid.UUID, worker_id: str, now: datetime) -> Job | None:
    result = db.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == JobState.queued.value)
        .values(
            state=JobState.running.value,
            attempts=Job.attempts + 1,
            locked_by=worker_id[:200],
            locked_at=now,
            heartbeat_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if not _rowcount(result):
        db.rollback()
        return None
    job = db.get(Job, job_id, populate_existing=True)
    db.commit()
    if job is not None:
        db.expunge(job)
    return job


def _ours(job: Job) -> ColumnElement[bool]:
    """The row is still this run of this worker."""
    return and_(
        Job.id == job.id,
        Job.state == JobState.running.value,
        Job.locked_by == job.locked_by,
        Job.attempts == job.attempts,
    )


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _change(sessions: Sessions, where: ColumnElement[bool], **values: Any) -> int:
    with sessions() as db:
        result = db.execute(
            update(Job).where(where).values(**values).execution_options(synchronize_session=False)
        )
        db.commit()
        return _rowcount(result)


def report_progress(
    sessions: Sessions, job: Job, done: int, total: int, *, now: datetime | None = None
) -> bool:
    """Record ``done`` of ``total`` (which also proves the worker alive). False when the
    job is no longer this run's."""
    done, total = max(0, done), max(0, total)
    return bool(
        _change(
            sessions,
            _ours(job),
            progress_done=done,
            progress_total=total,
            heartbeat_at=now or utcnow(),
        )
    )


def heartbeat(
    sessions: Sessions, jobs: Iterable[Job], *, now: datetime | None = None
) -> set[uuid.UUID]:
    """Refresh the heartbeat of the jobs a worker runs, in one statement; the ids of those
    still its own."""
    jobs = list(jobs)
    if not jobs:
        return set()
    mine = or_(*(_ours(job) for job in jobs))
    with sessions() as db:
        db.execute(
            update(Job)
            .where(mine)
            .values(heartbeat_at=now or utcnow())
            .execution_options(synchronize_session=False)
        )
        kept = set(db.scalars(select(Job.id).where(mine)))
        db.commit()
        return kept


def succeed(
    sessions: Sessions,
    job: Job,
    result: Mapping[str, Any] | None = None,
    *,
    now: datetime | None = None,
) -> bool:
    """The job is done; ``result`` (JSON) is kept for whoever reads it. False when the run
    was no longer this worker's (the job was handed on), and nothing is recorded."""
    now = now or utcnow()
    stored = json.loads(json.dumps(dict(result))) if result is not None else None
    return bool(
        _change(
            sessions,
            _ours(job),
            state=JobState.succeeded.value,
            result=stored,
            error=None,
            heartbeat_at=now,
            finished_at=now,
        )
    )


def fail(
    sessions: Sessions,
    job: Job,
    error: str,
    *,
    retry: bool = True,
    retry_base: timedelta = timedelta(seconds=10),
    now: datetime | None = None,
) -> JobState | None:
    """The run failed with ``error``. With attempts left (and ``retry``), the job goes
    back to its queue after the back-off (``retry_delay``), the error kept until a run
    succeeds; otherwise it is ``failed`` for good. The state it is left in, or None when
    the run was no longer this worker's."""
    now = now or utcnow()
    error = error[:_MAX_ERROR_CHARS]
    if retry and job.attempts < job.max_attempts:
        changed = _change(
            sessions,
            _ours(job),
            state=JobState.queued.value,
            run_after=now + retry_delay(job.attempts, retry_base),
            error=error,
            locked_by=None,
            locked_at=None,
            heartbeat_at=None,
        )
        return JobState.queued if changed else None
    changed = _change(
        sessions,
        _ours(job),
        state=JobState.failed.value,
        error=error,
        heartbeat_at=now,
        finished_at=now,
    )
    return JobState.failed if changed else None


def give_back(sessions: Sessions, job: Job, *, now: datetime | None = None) -> bool:
    """A stopping worker that ran out of time returns a job it still runs to its queue,
    to run at once elsewhere; the interrupted attempt is not held against the job."""
    return bool(
        _change(
            sessions,
            _ours(job),
            state=JobState.queued.value,
            attempts=Job.attempts - 1,
            run_after=now or utcnow(),
            locked_by=None,
            locked_at=None,
            heartbeat_at=None,
        )
    )


STALE_ERROR = "its worker stopped answering (no heartbeat for {seconds:g} s)"


def recover_stale(
    sessions: Sessions, stale_after: timedelta, *, now: datetime | None = None
) -> int:
    """Jobs marked running whose heartbeat is older than ``stale_after`` lost their worker
    (killed, out of memory, its host gone). Each goes back to its queue to run at once,
    the lost run counted as an attempt; one that has no attempts left fails, so that a job
    that kills its worker every time cannot take the workers down forever. How many were
    recovered. Safe to run in every process at once: each row changes once."""
    now = now or utcnow()
    error = STALE_ERROR.format(seconds=stale_after.total_seconds())
    stale = and_(Job.state == JobState.running.value, Job.heartbeat_at < now - stale_after)
    requeued = _change(
        sessions,
        and_(stale, Job.attempts < Job.max_attempts),
        state=JobState.queued.value,
        run_after=now,
        error=error,
        locked_by=None,
        locked_at=None,
        heartbeat_at=None,
    )
    failed = _change(
        sessions,
        and_(stale, Job.attempts >= Job.max_attempts),
        state=JobState.failed.value,
        error=error,
        finished_at=now,
    )
    return requeued + failed


def cancel(db: Session, job_id: uuid.UUID) -> bool:
    """Cancel a job that has not started, in the caller's transaction; False when it is
    running or finished (a running job is not interrupted)."""
    result = db.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == JobState.queued.value)
        .values(state=JobState.cancelled.value, finished_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(_rowcount(result))


def prune_finished(
    sessions: Sessions,
    *,
    keep: timedelta,
    keep_failed: timedelta,
    now: datetime | None = None,
    chunk: int = 1000,
) -> int:
    """Delete the jobs that ended long enough ago: succeeded or cancelled ones after
    ``keep``, failed ones (which someone may still be looking into) after ``keep_failed``.
    Queued and running jobs are never touched. Deletes ``chunk`` rows per transaction, so a
    first run over a long backlog never holds the table for long. How many went."""
    now = now or utcnow()
    old = or_(
        and_(
            Job.state.in_([JobState.succeeded.value, JobState.cancelled.value]),
            Job.finished_at < now - keep,
        ),
        and_(Job.state == JobState.failed.value, Job.finished_at < now - keep_failed),
    )
    pruned = 0
    while True:
        with sessions() as db:
            ids = list(db.scalars(select(Job.id).where(old).limit(chunk)))
            if not ids:
                return pruned
            # Their secrets are normally gone already; the cascade is not relied on, as
            # SQLite enforces foreign keys only when asked.
            db.execute(delete(JobSecret).where(JobSecret.job_id.in_(ids)))
            db.execute(
                delete(Job).where(Job.id.in_(ids)).execution_options(synchronize_session=False)
            )
            db.commit()
        pruned += len(ids)


# --- workers and the secrets sealed to them ------------------------------------------------


def register_worker(
    sessions: Sessions, worker_id: str, public_key: bytes, queues: Iterable[str]
) -> None:
    """Publish a starting runner's public key and the queues it serves."""
    with sessions() as db:
        worker = db.get(JobWorker, worker_id[:200]) or JobWorker(worker_id=worker_id[:200])
        worker.public_key = public_key
        worker.queues = ",".join(queues)[:300]
        worker.seen_at = utcnow()
        db.add(worker)
        db.commit()


def see_worker(sessions: Sessions, worker_id: str, *, now: datetime | None = None) -> None:
    with sessions() as db:
        db.execute(
            update(JobWorker)
            .where(JobWorker.worker_id == worker_id[:200])
            .values(seen_at=now or utcnow())
            .execution_options(synchronize_session=False)
        )
        db.commit()


def live_workers(
    sessions: Sessions, prefix: str, live_within: timedelta, *, now: datetime | None = None
) -> list[str]:
    """The runners whose id starts with ``prefix`` (a host's ``host:``) and that were seen
    within ``live_within``: a health check's answer to "is this host's worker alive"."""
    now = now or utcnow()
    with sessions() as db:
        return list(
            db.scalars(
                select(JobWorker.worker_id).where(
                    JobWorker.worker_id.startswith(prefix[:200], autoescape=True),
                    JobWorker.seen_at > now - live_within,
                )
            )
        )


def forget_worker(sessions: Sessions, worker_id: str) -> None:
    """A stopping runner: its secrets could not be opened any more anyway."""
    with sessions() as db:
        db.execute(delete(JobSecret).where(JobSecret.worker_id == worker_id[:200]))
        db.execute(delete(JobWorker).where(JobWorker.worker_id == worker_id[:200]))
        db.commit()


def sealed_secret(sessions: Sessions, job_id: uuid.UUID, worker_id: str) -> bytes | None:
    with sessions() as db:
        return db.scalar(
            select(JobSecret.sealed).where(
                JobSecret.job_id == job_id, JobSecret.worker_id == worker_id[:200]
            )
        )


def forget_secrets(sessions: Sessions, job_id: uuid.UUID) -> None:
    """A job that will not run again needs its secret no more."""
    with sessions() as db:
        db.execute(delete(JobSecret).where(JobSecret.job_id == job_id))
        db.commit()


def strand_sealed(
    sessions: Sessions, live_within: timedelta, *, now: datetime | None = None
) -> list[uuid.UUID]:
    """Cancel the queued jobs whose secret was sealed only to workers that are gone: no
    one can run them, and their owner provides the secret again. Forget the workers that
    are gone. The cancelled jobs' ids."""
    now = now or utcnow()
    live = select(JobWorker.worker_id).where(JobWorker.seen_at > now - live_within)
    with sessions() as db:
        stranded = list(
            db.scalars(
                select(Job.id).where(
                    Job.state == JobState.queued.value,
                    Job.sealed.is_(True),
                    ~exists().where(JobSecret.job_id == Job.id, JobSecret.worker_id.in_(live)),
                )
            )
        )
        if stranded:
            db.execute(
                update(Job)
                .where(Job.id.in_(stranded), Job.state == JobState.queued.value)
                .values(
                    state=JobState.cancelled.value,
                    error="every worker its secret was sealed to has stopped",
                    finished_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            db.execute(delete(JobSecret).where(JobSecret.job_id.in_(stranded)))
        # Workers not seen for that long are gone; their secrets no longer open anywhere.
        gone = select(JobWorker.worker_id).where(JobWorker.seen_at <= now - live_within)
        db.execute(delete(JobSecret).where(JobSecret.worker_id.in_(gone)))
        db.execute(delete(JobWorker).where(JobWorker.seen_at <= now - live_within))
        db.commit()
        return stranded
