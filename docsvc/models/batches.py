"""Batch signing jobs: one PIN entry, up to 500 documents or dossiers, each item's result."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, Uuid, true
from sqlalchemy.orm import Mapped, mapped_column

from docsvc.db.base import Base, UTCDateTime, utcnow


class BatchStatus(StrEnum):
    queued = "queued"
    running = "running"
    finished = "finished"  # every item has a result, whether signed or failed
    failed = "failed"  # the job itself could not run (e.g. the key could not be opened)
    # The process running it stopped (a restart): its pending items wait for a resume,
    # which needs the PIN again since the key was only ever in that process's memory.
    interrupted = "interrupted"


class BatchItemStatus(StrEnum):
    pending = "pending"
    signed = "signed"
    failed = "failed"


class BatchJob(Base):
    __tablename__ = "batch_jobs"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=BatchStatus.queued.value)
    level: Mapped[str | None] = mapped_column(String(8), default=None)
    visible: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Written every few seconds while a process runs the job: a queued or running job
    # whose heartbeat stopped was cut short by a restart, and can be resumed with the PIN.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # The queued job that runs it (``docsvc.jobs``); a resumed batch gets a new one.
    job_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)


class BatchItem(Base):
    __tablename__ = "batch_items"
    __table_args__ = (UniqueConstraint("job_id", "position"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("batch_jobs.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    # Exactly one target: a document, a dossier, or a signing line awaiting the user.
    document_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("documents.id"), default=None)
    dossier_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("dossiers.id"), default=None)
    line_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("signing_lines.id"), default=None)
    status: Mapped[str] = mapped_column(String(16), default=BatchItemStatus.pending.value)
    error_code: Mapped[str | None] = mapped_column(String(64), default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    # Versions made, as "document_id:version" pairs separated by spaces.
    versions: Mapped[str] = mapped_column(Text, default="")
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
