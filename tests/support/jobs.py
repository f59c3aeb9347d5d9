"""Waiting for work the job queue does after a request has answered (a dossier's seal, an
e-mail): the tests' runner is the application's own (``jobs_in_app``), in a thread."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from docsvc.jobs.handlers import JobContext
from docsvc.models import Dossier, Job, JobState

T = TypeVar("T")

ENDED = (JobState.succeeded.value, JobState.failed.value, JobState.cancelled.value)


def wait_until(
    condition: Callable[[], T | None], seconds: float = 120.0, what: str = "the condition"
) -> T:
    """``condition()``'s first true answer, asked every tenth of a second."""
    deadline = time.monotonic() + seconds
    while True:
        found = condition()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def wait_for_job(
    sessions: sessionmaker[Session], job_id: uuid.UUID | str, seconds: float = 120.0
) -> Job:
    """The job once it has ended (succeeded, failed or cancelled), detached."""

    def ended() -> Job | None:
        with sessions() as db:
            job = db.get(Job, uuid.UUID(str(job_id)))
            assert job is not None, f"no job {job_id}"
            if job.state not in ENDED:
                return None
            db.expunge(job)
            return job

    return wait_until(ended, seconds, f"job {job_id} to end")


def wait_for_seal(
    sessions: sessionmaker[Session], dossier_id: uuid.UUID | str, seconds: float = 120.0
) -> Job:
    """The dossier's seal job, once it succeeded (the index is recorded)."""
    with sessions() as db:
        job_id = db.scalar(
            select(Dossier.seal_job_id).where(Dossier.id == uuid.UUID(str(dossier_id)))
        )
    assert job_id is not None, "the dossier's seal has no job (it waits for a PIN)"
    job = wait_for_job(sessions, job_id, seconds)
    assert job.state == JobState.succeeded.value, job.error
    return job


def job_context(stop_after: int | None = None) -> JobContext:
    """A job's context, for calling a handler directly, whose worker starts stopping after
    ``stop_after`` looks (never, by default)."""
    looks = [0]

    def stopping() -> bool:
        looks[0] += 1
        return stop_after is not None and looks[0] > stop_after

    return JobContext(
        job_id=uuid.uuid4(),
        payload={},
        attempt=1,
        max_attempts=5,
        progress=lambda done, total: True,
        stopping=stopping,
    )
