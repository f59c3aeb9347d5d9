"""Leaves for what happens to documents: each version and each signature is a register
event, so that a case history can prove every step. The title, the reason, the people and
the confidentiality are details (kept out of the public leaf, committed to by hash)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from docsvc.ledger.log import LogEvent, record
from docsvc.models import Document, DocumentVersion, Receipt, SignatureRecord, Transfer


class LeafData(NamedTuple):
    """What a leaf records of its rows: the public data, and the private details (before
    their salt). Built by one function per kind of leaf, from the rows, which both the
    writer and ``docsvc register verify --database`` (``metadata_check``) call."""

    public: dict[str, Any]
    private: dict[str, Any]


# Who a version made by the service itself is "by" in its leaf (no user made it).
SERVICE_AUTHOR = "docsvc"


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


def transfer_leaf(
    transfer: Transfer, from_department: str, to_department: str, by: str
) -> LeafData:
    """A ``transfer`` leaf: the transfer with its departments' codes and its sender's
    username. What is sent is the signed note's description, of the document or dossier
    that the row names (the two agree unless the row was changed)."""
    signed = json.loads(transfer.record)
    what = {
        **signed["what"],
        "type": "document" if transfer.document_id is not None else "dossier",
        "id": str(transfer.document_id or transfer.dossier_id),
    }
    forwarded_from, reply_to = transfer.forwarded_from_id, transfer.reply_to_id
    return LeafData(
        public={
            "case_id": str(transfer.case_id),
            "from": from_department,
            "to": to_department,
            "purpose": transfer.purpose,
            "what": what,
            "due_on": transfer.due_on.isoformat() if transfer.due_on else None,
            "forwarded_from": str(forwarded_from) if forwarded_from else None,
            "reply_to": str(reply_to) if reply_to else None,
            "record_sha256": hashlib.sha256(transfer.record).hexdigest(),
            "signature_sha256": hashlib.sha256(transfer.signature).hexdigest(),
        },
        private={"instructions": transfer.instructions, "by": by},
    )


def receipt_leaf(receipt: Receipt, transfer: Transfer, department: str, by: str) -> LeafData:
    """A ``receipt`` leaf: the receipt of ``transfer``, with its department's code and its
    official's username."""
    return LeafData(
        public={
            "case_id": str(transfer.case_id),
            "transfer_id": str(receipt.transfer_id),
            "kind": receipt.kind,
            "department": department,
            "record_sha256": hashlib.sha256(receipt.record).hexdigest(),
            "signature_sha256": hashlib.sha256(receipt.signature).hexdigest(),
        },
        private={"reason": receipt.reason, "by": by},
    )


def record_leaf(
    db: Session,
    kind: str,
    object_type: str,
    object_id: object,
    data: LeafData,
    time: datetime | None = None,
) -> None:
    """Append one leaf built by a ``*_leaf`` function (``time``: the event's own moment;
    by default, now)."""
    event = LogEvent(kind, object_type, str(object_id), data.public, data.private)
    record(db, event if time is None else dataclasses.replace(event, time=time))


def record_version(db: Session, document: Document, version: DocumentVersion, by: str) -> None:
    record_leaf(
        db, "document.version", "document", document.id, version_leaf(document, version, by)
    )


def record_signature(db: Session, document: Document, signature: SignatureRecord, by: str) -> None:
    data = signature_leaf(signature, by)
    record_leaf(db, "document.signature", "document", document.id, data, signature.signed_at)


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
