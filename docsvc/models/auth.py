"""Server-side sessions: API bearer tokens and web login sessions.

Only the SHA-256 of a token is stored, so a database leak yields no usable token, and a
session can be revoked by deleting nothing: ``revoked_at`` is set instead.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from docsvc.db.base import Base, UTCDateTime, utcnow


class AuthSession(Base):
    __tablename__ = "auth_sessions"

    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # "api" or "web"
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    client_ip: Mapped[str | None] = mapped_column(String(64), default=None)
    # The user's ``session_generation`` when the session was issued; a session of an older
    # generation is dead (the password changed or the account was disabled since).
    generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
