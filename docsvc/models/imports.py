"""Archival packages received from another institution (``docsvc.archival.imports``): an
E-ARK SIP made by docsvc or an ENI expediente. Each import becomes a closed dossier whose
documents keep their bytes, hashes and signatures; what the origin proved about them (its
register's leaves, proofs, checkpoint and key, or the ENI index and its signature) is kept
here, so that it can be checked again at any time."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from docsvc.db.base import Base, UTCDateTime, utcnow


class ImportStatus(StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    # The package was read and judged, and refused (a file changed, a proof that fails, a
    # signature invalid): nothing was imported.
    refused = "refused"
    failed = "failed"


class PackageFormat(StrEnum):
    eark = "eark"
    eni = "eni"


class ArchiveImport(Base):
    __tablename__ = "archive_imports"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    requested_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    # The department that holds the imported dossier (the importer's).
    department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("departments.id"))
    job_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    status: Mapped[str] = mapped_column(String(16), default=ImportStatus.queued.value)
    format: Mapped[str] = mapped_column(String(8), default="")
    filename: Mapped[str] = mapped_column(String(255), default="")
    package_sha256: Mapped[str] = mapped_column(String(64), default="")
    package_size: Mapped[int] = mapped_column(BigInteger, default=0)
    # A register key the importer gave (else the one the package carries was used).
    given_register_key: Mapped[str] = mapped_column(Text, default="")
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    # The package's verdict here: valid, or indeterminate (imported, with its doubts).
    verdict: Mapped[str] = mapped_column(String(16), default="")
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    dossier_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("dossiers.id"), default=None, index=True
    )
    # Every dossier it became (a package of a case, a series or an official holds several).
    dossier_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    origin_institution: Mapped[str] = mapped_column(String(500), default="")
    origin_identifier: Mapped[str] = mapped_column(String(500), default="")
    # The origin's evidence, as the package carried it: for E-ARK, the register key, the
    # signed checkpoint and the proven leaves ({"size", "leaves": [...]}); for ENI, the
    # expediente's XML with its signed index.
    origin_register_key: Mapped[str] = mapped_column(Text, default="")
    origin_checkpoint: Mapped[str] = mapped_column(Text, default="")
    origin_proofs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    origin_index_xml: Mapped[str] = mapped_column(Text, default="")
    origin_anchors_pem: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class ImportedDocument(Base):
    """A document that came in an import: what the origin called it, and the verdict the
    origin recorded for each version against the one found here."""

    __tablename__ = "imported_documents"

    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    import_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("archive_imports.id"), index=True)
    origin_id: Mapped[str] = mapped_column(String(200))
    origin_verification_code: Mapped[str | None] = mapped_column(String(64), default=None)
    # [{"number", "sha256", "origin_verdict", "verdict"}] per version.
    verdicts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
