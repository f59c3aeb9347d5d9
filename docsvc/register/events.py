"""Leaves for what happens to documents: each version and each signature is a register
event, so that a case history can prove every step. The title, the reason and the people
are details (kept out of the public leaf, committed to by hash)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from docsvc.models import Document, DocumentVersion, SignatureRecord
from docsvc.register.log import LogEvent, record


def record_version(db: Session, document: Document, version: DocumentVersion, by: str) -> None:
    record(
        db,
        LogEvent(
            kind="document.version",
            object_type="document",
            object_id=str(document.id),
            public={
                "version": version.number,
                "sha256": version.sha256,
                "size": version.size,
                "doc_type": document.doc_type,
            },
            private={"title": document.title, "reason": version.reason, "by": by},
        ),
    )


def record_signature(db: Session, document: Document, signature: SignatureRecord, by: str) -> None:
    record(
        db,
        LogEvent(
            kind="document.signature",
            object_type="document",
            object_id=str(document.id),
            public={
                "version": signature.version_number,
                "sha256": signature.sha256,
                "level": signature.level,
                "field": signature.field_name,
                "certificate_sha256": signature.certificate_sha256,
                "signature_id": str(signature.id),
            },
            private={"signer": by},
            time=signature.signed_at,
        ),
    )


def record_archival(
    db: Session, kind: str, dossier_id: str, public: dict[str, object], by: str
) -> None:
    """An archival event on a dossier: sealed by its signed index, or closed."""
    record(
        db,
        LogEvent(
            kind=f"archive.{kind}",
            object_type="dossier",
            object_id=dossier_id,
            public=public,
            private={"by": by},
        ),
    )
