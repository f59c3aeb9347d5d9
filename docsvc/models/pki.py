"""What the institution's CA has issued and revoked: the source of its CRLs and OCSP."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from docsvc.db.base import Base, UTCDateTime, utcnow


class IssuedCertificate(Base):
    __tablename__ = "issued_certificates"

    # Serials are 159-bit integers: kept as lowercase hex so every database stores them alike.
    serial_hex: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(String(32))  # "signing", "tsa", "ocsp"
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id"), index=True, default=None
    )
    certificate_pem: Mapped[str] = mapped_column(Text)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime)
    not_after: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    revocation_reason: Mapped[str | None] = mapped_column(String(32), default=None)
