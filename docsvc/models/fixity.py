"""Fixity audits of the object store (``docsvc.archival.fixity``): passes that re-read
every stored object in key order, and the alerts they raise."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from docsvc.db.base import Base, UTCDateTime, utcnow


class FixityPass(Base):
    """One pass over every object the database points to. Its cursor is the last key
    checked, so that an interrupted pass goes on from there."""

    __tablename__ = "fixity_passes"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Who asked for it (an archivist from the pages); None for the scheduled passes.
    requested_by_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id"), default=None
    )
    # Objects the database pointed to when the pass started (for its progress).
    total: Mapped[int] = mapped_column(Integer, default=0)
    cursor: Mapped[str] = mapped_column(String(64), default="")
    checked: Mapped[int] = mapped_column(Integer, default=0)
    bytes_read: Mapped[int] = mapped_column(BigInteger, default=0)
    mismatched: Mapped[int] = mapped_column(Integer, default=0)
    missing: Mapped[int] = mapped_column(Integer, default=0)
    # Moved on by every slice of work: the page shows when the audit last advanced.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FixityProblem:
    mismatch = "mismatch"  # the bytes no longer hash to the object's key
    missing = "missing"  # the store has no object under the key


class FixityAlert(Base):
    """An object that a pass found changed or missing. It stays open until a later pass
    finds the object intact again (restored from a backup, for instance)."""

    __tablename__ = "fixity_alerts"
    __table_args__ = (Index("ix_fixity_alerts_open", "resolved_at", "object_key"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    object_key: Mapped[str] = mapped_column(String(64))
    problem: Mapped[str] = mapped_column(String(16))
    pass_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("fixity_passes.id"))
    found_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
