"""Jobs of the durable queue (``docsvc.jobs``): work a request or a feature hands over to
run later, outside the request, with retries, and that survives a restart."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    Uuid,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from docsvc.db.base import Base, UTCDateTime, utcnow


class JobState(StrEnum):
    queued = "queued"  # waiting for a worker, from ``run_after`` on
    running = "running"  # a worker (``locked_by``) has it and keeps its heartbeat fresh
    succeeded = "succeeded"
    failed = "failed"  # out of attempts, or failed for good; ``error`` says why
    cancelled = "cancelled"


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        # What a worker asks when it claims: the queued jobs of some queues, most urgent
        # first, that may run now.
        Index("ix_jobs_claim", "state", "queue", "priority", "run_after"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    # The handler's name (``docsvc.jobs.handlers.JobHandler.kind``).
    kind: Mapped[str] = mapped_column(String(64))
    queue: Mapped[str] = mapped_column(String(32))
    # Higher runs first within a queue.
    priority: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(16), default=JobState.queued.value)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Starts so far (a claim counts one, whether the run ends or its worker dies).
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    # Not claimed before this moment: when it was enqueued, or the back-off after a failure.
    run_after: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Which worker runs it (host:pid:runner) and since when; the heartbeat is refreshed
    # while it runs, so a stale one means the worker died.
    locked_by: Mapped[str | None] = mapped_column(String(200), default=None)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # The last failure (kept when a retry is queued, and when the job fails for good).
    error: Mapped[str | None] = mapped_column(Text, default=None)
    # Who may read the job (``GET /api/v1/jobs/{id}``), besides admins; none for the
    # service's own work.
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id"), index=True, default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Whether the job carries a secret (``job_secrets``): only a worker it was sealed for
    # may claim it.
    sealed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class JobWorker(Base):
    """A running job runner and the public half of its key pair, whose private half lives
    only in that process's memory: secrets for jobs are sealed to it (``JobSecret``)."""

    __tablename__ = "job_workers"

    worker_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)  # X25519, raw 32 bytes
    # The queues it serves, comma-separated.
    queues: Mapped[str] = mapped_column(String(300))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class JobSecret(Base):
    """A job's secret (an official's key for a batch) sealed to one live worker: X25519
    with an ephemeral key, HKDF-SHA256 and AES-256-GCM. Useless once that worker's process
    is gone, since its private key never left its memory."""

    __tablename__ = "job_secrets"

    job_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True
    )
    worker_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
