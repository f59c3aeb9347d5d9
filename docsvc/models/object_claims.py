"""Claims on object keys, so that the orphan cleaner and uploads never race.

An upload claims its key (committed) before it stores the bytes; the cleaner claims a key
before it deletes the object. The primary key makes the two exclusive: the cleaner skips a
key an upload holds, and an upload waits while the cleaner holds one. Without this, an
upload of bytes identical to an old orphan would reuse the stored object, and the cleaner
could delete it between the store and the commit, leaving a row that points to nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from docsvc.db.base import Base, UTCDateTime, utcnow


class ObjectClaim(Base):
    __tablename__ = "object_claims"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(8))  # "upload" or "sweep"
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
