"""Leaves for what happens to documents: each version and each signature is a register
event, so that a case history can prove every step. The title, the reason, the people and
the confidentiality are details (kept out of the public leaf, committed to by hash)."""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from docsvc.models import Document, DocumentVersion, SignatureRecord
from docsvc.register.log import LogEvent, record


class LeafData(NamedTuple):
    """What a leaf records of its rows: the public data, and the private details (before
    their salt). Built by one function per kind of leaf, from the rows, which both the
    writer and ``docsvc register verify --database`` (``metadata_check``) call."""

    public: dict[str, Any]
    private: dict[str, Any]


def version_leaf(document: Document, version: DocumentVersion, by: str) -> LeafData:
    """A ``document.version`` leaf: the version, and the document's own fields."""
    return LeafData(
        public={
            "version": version.number,
            "sha256": version.sha256,
            "size": version.size,
            "doc_type": document.doc_type,
        },
        private={
            "title": document.title,
            "reason": version.reason,
            "by": by,
            "confidentiality": document.confidentiality,
        },
    )


def signature_leaf(signature: SignatureRecord, by: str) -> LeafData:
    """A ``document.signature`` leaf."""
    return LeafData(
        public={
            "version": signature.version_number,
            "sha256": signature.sha256,
            "level": signature.level,
            "field": signature.field_name,
            "certificate_sha256": signature.certificate_sha256,
            "signature_id": str(signature.id),
        },
        private={"signer": by},
    )


def record_version(db: Session, document: Document, version: DocumentVersion, by: str) -> None:
    data = version_leaf(document, version, by)
    record(
        db,
        LogEvent(
            kind="document.version",
            object_type="document",
            object_id=str(document.id),
            public=data.public,
            private=data.private,
        ),
    )


def record_signature(db: Session, document: Document, signature: SignatureRecord, by: str) -> None:
    data = signature_leaf(signature, by)
    record(
        db,
        LogEvent(
            kind="document.signature",
            object_type="document",
            object_id=str(document.id),
            public=data.public,
            private=data.private,
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
