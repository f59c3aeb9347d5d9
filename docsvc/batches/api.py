"""Batch signing routes: start a job with one PIN entry, then follow its progress."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from docsvc.batches import service
from docsvc.batches.schemas import BatchCreated, BatchIn, BatchOut, ResumeIn
from docsvc.deps import ActorDep, DbSession, ServicesDep

router = APIRouter(prefix="/api/v1", tags=["batch signing"])


@router.post("/batches", status_code=202)
def create(
    body: BatchIn,
    db: DbSession,
    services: ServicesDep,
    actor: ActorDep,
) -> BatchCreated:
    """Sign up to 500 documents, dossiers or signing lines with one PIN entry. The job runs
    in the background: follow it at ``GET /api/v1/batches/{id}``."""
    # A job runner starts it once the request's transaction (the batch and its queued
    # run, together) has committed.
    return service.create_job(db, services, actor, body)


@router.post("/batches/{job_id}/resume", status_code=202)
def resume(
    job_id: uuid.UUID,
    body: ResumeIn,
    db: DbSession,
    services: ServicesDep,
    actor: ActorDep,
) -> BatchCreated:
    """Sign the pending items of a job that a restart interrupted, with the PIN again (the
    key never outlives the process that held it)."""
    return service.resume_job(db, services, actor, job_id, body.pin)


@router.get("/batches/{job_id}")
def get(job_id: uuid.UUID, db: DbSession, actor: ActorDep) -> BatchOut:
    return service.get_job(db, actor, job_id)
