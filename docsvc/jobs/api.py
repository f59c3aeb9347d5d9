"""Reading a job: its state, progress and outcome, for whoever started it."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from sqlalchemy.orm import Session

from docsvc.actors.actor import Actor
from docsvc.deps import ActorDep, DbSession
from docsvc.errors import NotFound
from docsvc.jobs.schemas import JobOut, JobProgress
from docsvc.models import Job, Role

router = APIRouter(prefix="/api/v1", tags=["jobs"])


def readable_job(db: Session, actor: Actor, job_id: uuid.UUID) -> Job:
    """The job, if ``actor`` owns it or is an admin. Anyone else is told it does not
    exist, as for a job that does not: a job's id says nothing about whether it is
    there."""
    job = db.get(Job, job_id)
    if job is None or not (job.user_id == actor.user_id or actor.has_any(Role.admin)):
        raise NotFound("No such job.", code="job_not_found")
    return job


@router.get("/jobs/{job_id}")
def get(job_id: uuid.UUID, db: DbSession, actor: ActorDep) -> JobOut:
    job = readable_job(db, actor, job_id)
    return JobOut(
        id=job.id,
        kind=job.kind,
        queue=job.queue,
        state=job.state,
        progress=JobProgress(done=job.progress_done, total=job.progress_total),
        attempts=job.attempts,
        max_attempts=job.max_attempts,
        result=job.result,
        error=job.error,
        created_at=job.created_at,
        run_after=job.run_after,
        started_at=job.locked_at,
        finished_at=job.finished_at,
    )
