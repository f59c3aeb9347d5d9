"""Document queries. Visibility is applied in SQL so that pagination counts only what the
caller may see."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from docsvc.actors.actor import Actor
from docsvc.db.base import utcnow
from docsvc.documents.archive_reads import archive_reads_document, disposed_condition
from docsvc.documents.schemas import DocumentFilter
from docsvc.models import (
    Confidentiality,
    Department,
    Document,
    DocumentAccess,
    DocumentVersion,
    PendingExternalSignature,
    User,
)


def visible_to(actor: Actor) -> ColumnElement[bool]:
    granted = exists().where(
        DocumentAccess.document_id == Document.id,
        DocumentAccess.department_id == actor.department_id,
    )
    return or_(
        Document.owning_department_id == actor.department_id,
        Document.confidentiality != Confidentiality.confidential.value,
        granted,
        archive_reads_document(actor),
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def page_of_documents(
    db: Session, actor: Actor, flt: DocumentFilter
) -> tuple[int, Sequence[tuple[Document, str, str, DocumentVersion]]]:
    owner = aliased(Department)
    creator = aliased(User)
    conditions: list[ColumnElement[bool]] = [visible_to(actor)]
    if flt.doc_type:
        conditions.append(Document.doc_type == flt.doc_type.value)
    if flt.confidentiality:
        conditions.append(Document.confidentiality == flt.confidentiality.value)
    if flt.department:
        conditions.append(owner.code == flt.department)
    if flt.q:
        pattern = f"%{_escape_like(flt.q.lower())}%"
        conditions.append(
            or_(
                func.lower(Document.title).like(pattern, escape="\\"),
                func.lower(Document.subject).like(pattern, escape="\\"),
            )
        )
    if flt.created_from:
        conditions.append(Document.created_at >= flt.created_from)
    if flt.created_to:
        conditions.append(Document.created_at < flt.created_to)
    base = (
        select(Document, owner.code, creator.username, DocumentVersion)
        .join(owner, owner.id == Document.owning_department_id)
        .join(creator, creator.id == Document.created_by_id)
        .join(
            DocumentVersion,
            and_(
                DocumentVersion.document_id == Document.id,
                DocumentVersion.number == Document.latest_version,
            ),
        )
        .where(*conditions)
    )
    total = db.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = db.execute(
        base.order_by(Document.created_at.desc(), Document.id).limit(flt.limit).offset(flt.offset)
    )
    return total, rows.all()


def document_by_id(db: Session, document_id: uuid.UUID) -> Document | None:
    return db.get(Document, document_id)


def versions_of(db: Session, document_id: uuid.UUID) -> Sequence[DocumentVersion]:
    return db.scalars(
        select(DocumentVersion)
        .where(DocumentVersion.document_id == document_id)
        .order_by(DocumentVersion.number)
    ).all()


def version_of(db: Session, document_id: uuid.UUID, number: int) -> DocumentVersion | None:
    return db.scalar(
        select(DocumentVersion).where(
            DocumentVersion.document_id == document_id, DocumentVersion.number == number
        )
    )


def granted_departments(db: Session, document_id: uuid.UUID) -> set[uuid.UUID]:
    return set(
        db.scalars(
            select(DocumentAccess.department_id).where(DocumentAccess.document_id == document_id)
        )
    )


def username_of(db: Session, user_id: uuid.UUID) -> str:
    return db.scalar(select(User.username).where(User.id == user_id)) or ""


def _pending_prepared(db: Session) -> Select[str]:
    """Prepared files of two-step signatures still waiting for their finish."""
    return select(PendingExternalSignature.prepared_sha256).where(
        PendingExternalSignature.finished_at.is_(None),
        PendingExternalSignature.expires_at > utcnow(),
    )


def is_referenced(db: Session, key: str) -> bool:
    if db.scalar(select(DocumentVersion.id).where(DocumentVersion.sha256 == key).limit(1)):
        return True
    pending = _pending_prepared(db).where(PendingExternalSignature.prepared_sha256 == key)
    return db.scalar(pending.limit(1)) is not None


def referenced_object_keys(db: Session) -> Iterator[str]:
    """Every object key the database points to; the orphan cleaner keeps these."""
    yield from db.scalars(select(DocumentVersion.sha256).distinct())
    yield from db.scalars(_pending_prepared(db))


def archive_lets_read(db: Session, actor: Actor, document_id: uuid.UUID) -> bool:
    """Whether the archive lets ``actor`` read the document (docsvc.documents.archive_reads)."""
    return (
        db.scalar(
            select(Document.id).where(Document.id == document_id, archive_reads_document(actor))
        )
        is not None
    )


def content_disposed(db: Session, document_id: uuid.UUID) -> bool:
    """Whether a disposal eliminated the document's content (its holding is disposed)."""
    return (
        db.scalar(select(Document.id).where(Document.id == document_id, disposed_condition()))
        is not None
    )
