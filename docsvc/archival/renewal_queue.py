"""The renewal job's name and queue, and asking for a run: apart from
``docsvc.archival.renewal`` so that what feeds the archive (``archive_transfers``) can ask
for one without depending on it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from docsvc.jobs.queue import enqueue
from docsvc.jobs.runner import wake_local
from docsvc.models import Job, JobState
from docsvc.services import Services

KIND = "preservation.renew"
QUEUE = "preservation"


def pending_run(db: Session) -> Job | None:
    return db.scalar(
        select(Job)
        .where(Job.kind == KIND, Job.state.in_([JobState.queued.value, JobState.running.value]))
        .limit(1)
    )


def request_run(db: Session, services: Services) -> bool:
    """A renewal run, in the caller's transaction, unless one is queued or running (it
    reads every archived document whose state is out of date, so one is enough). True when
    one was enqueued."""
    if pending_run(db) is not None:
        return False
    enqueue(db, KIND, {}, queue=QUEUE, on_commit=lambda: wake_local(services))
    # Seen by the next ask in this transaction too (several transfers received at once).
    db.flush()
    return True
