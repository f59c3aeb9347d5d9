"""Documents, their immutable versions, dossiers, and cross-department access grants."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from docsvc.db.base import Base, UTCDateTime, utcnow


class DocumentType(StrEnum):
    letter = "letter"
    resolution = "resolution"
    request = "request"
    payment_order = "payment_order"
    report = "report"
    other = "other"


class Confidentiality(StrEnum):
    public = "public"
    internal = "internal"
    confidential = "confidential"


class DossierStatus(StrEnum):
    open = "open"
    closed = "closed"


class Document(Base):
    __tablename__ = "documents"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    doc_type: Mapped[str] = mapped_column(String(32), index=True)
    title: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(Text, default="")
    owning_department_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("departments.id"), index=True
    )
    confidentiality: Mapped[str] = mapped_column(String(16), index=True)
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # Denormalised for listing; the versions table stays the source of truth.
    latest_version: Mapped[int] = mapped_column(Integer, default=1)
    # Código seguro de verificación: given at the first signature, printed in the stamp and
    # its QR code, and looked up by the public verification page.
    verification_code: Mapped[str | None] = mapped_column(String(32), unique=True, default=None)


class DocumentVersion(Base):
    """One immutable state of a document. Rows are never updated or deleted (database
    triggers enforce it); a change is a new version."""

    __tablename__ = "document_versions"
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    pages: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100), default="application/pdf")
    reason: Mapped[str] = mapped_column(Text, default="")
    # None for a version the service made itself (an archive timestamp's renewal).
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DocumentAccess(Base):
    """A department other than the owner that may see a document, because it was sent to
    it. Transfers (issue 5) create these; nothing else widens confidential access."""

    __tablename__ = "document_access"

    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("departments.id"), primary_key=True)
    reason: Mapped[str] = mapped_column(String(100))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Dossier(Base):
    __tablename__ = "dossiers"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    title: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(Text, default="")
    owning_department_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("departments.id"), index=True
    )
    confidentiality: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=DossierStatus.open.value)
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The signed index that seals the dossier's composition (a document of its own, whose
    # versions are the index versions); None while unsealed.
    sealed_index_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("documents.id", use_alter=True), default=None
    )
    sealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # A seal asked for and not made yet: what its job needs (who completed the signing
    # line and for whom, the level, the versions the line signed). While it is set the
    # composition cannot change; it is cleared when the index is recorded.
    seal_request: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # The job that makes the pending seal, or made the last one; None while a pending
    # seal waits for a PIN (no job runner could take the key).
    seal_job_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    # When it was closed: the trigger of most retention rules.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class DossierItem(Base):
    __tablename__ = "dossier_items"
    __table_args__ = (
        UniqueConstraint("dossier_id", "position"),
        UniqueConstraint("dossier_id", "document_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dossier_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("dossiers.id"), index=True)
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    added_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
