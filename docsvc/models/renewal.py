"""Long-term validation renewal (``docsvc.archival.renewal``): what protects each archived
signed document, and by when its proof must be renewed."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from docsvc.db.base import Base, UTCDateTime, utcnow


class RenewalStatus(StrEnum):
    current = "current"  # protected until renew_by, beyond the horizon
    due = "due"  # within the horizon (or B-LT entering the archive): renewed at the next run
    untimestamped = "untimestamped"  # B-B or unsigned: nothing to renew
    failed = "failed"  # the last attempt failed (problem says why); tried again next run


class RenewalState(Base):
    """One archived document's latest version as the renewal last read it."""

    __tablename__ = "renewal_states"
    __table_args__ = (Index("ix_renewal_states_due", "status", "renew_by"),)

    document_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("documents.id"), primary_key=True
    )
    # The version read: a later one (a signature, a renewal) is read again.
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    # The last day the last timestamp proves anything (its authority's expiry or an
    # algorithm's sunset); None when there is no timestamp.
    renew_by: Mapped[date | None] = mapped_column(Date, default=None)
    # Archive timestamps the version carries (0 for B-LT).
    archive_timestamps: Mapped[int] = mapped_column(Integer, default=0)
    problem: Mapped[str] = mapped_column(Text, default="")
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    renewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
