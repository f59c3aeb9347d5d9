"""Archival packages asked for from the pages or the API (``docsvc.archival.export_jobs``):
each is made by a job of the ``exports`` queue and kept in the store's temporary area for
its download."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from docsvc.db.base import Base, UTCDateTime, utcnow


class ExportStatus(StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class ArchiveExport(Base):
    __tablename__ = "archive_exports"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    # The dossier, for a package of one; None for a case, a series or an official's.
    dossier_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("dossiers.id"), index=True, default=None
    )
    # What it is of (``export_scopes.ScopeKind``), named as the reader named it.
    scope_kind: Mapped[str] = mapped_column(String(16), default="dossier", server_default="dossier")
    scope_id: Mapped[str] = mapped_column(String(300), default="", server_default="")
    label: Mapped[str] = mapped_column(String(500), default="", server_default="")
    requested_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    job_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    status: Mapped[str] = mapped_column(String(16), default=ExportStatus.queued.value)
    # "eark": an E-ARK SIP in a BagIt bag; "eni": an ENI expediente with its sealed index.
    format: Mapped[str] = mapped_column(String(8), default="eark", server_default="eark")
    # Versions written so far, of ``total`` (the job's progress, kept here for the page).
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
