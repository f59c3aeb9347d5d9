"""Dossier queries."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from docsvc.actors.actor import Actor
from docsvc.documents.archive_reads import archive_reads_dossier
from docsvc.models import (
    Confidentiality,
    Department,
    Document,
    DocumentVersion,
    Dossier,
    DossierItem,
)


def visible_to(actor: Actor) -> ColumnElement[bool]:
    return or_(
        Dossier.owning_department_id == actor.department_id,
        Dossier.confidentiality != Confidentiality.confidential.value,
        archive_reads_dossier(actor),
    )


def archive_lets_read(db: Session, actor: Actor, dossier_id: uuid.UUID) -> bool:
    """Whether the archive lets ``actor`` read the dossier (docsvc.documents.archive_reads)."""
    return (
        db.scalar(select(Dossier.id).where(Dossier.id == dossier_id, archive_reads_dossier(actor)))
        is not None
    )


def dossier_by_id(db: Session, dossier_id: uuid.UUID) -> Dossier | None:
    return db.get(Dossier, dossier_id)


def items_of(
    db: Session, dossier_id: uuid.UUID
) -> Sequence[tuple[DossierItem, Document, DocumentVersion]]:
    return db.execute(
        select(DossierItem, Document, DocumentVersion)
        .join(Document, Document.id == DossierItem.document_id)
        .join(
            DocumentVersion,
            and_(
                DocumentVersion.document_id == Document.id,
                DocumentVersion.number == Document.latest_version,
            ),
        )
        .where(DossierItem.dossier_id == dossier_id)
        .order_by(DossierItem.position)
    ).all()


def next_position(db: Session, dossier_id: uuid.UUID) -> int:
    current = db.scalar(
        select(func.max(DossierItem.position)).where(DossierItem.dossier_id == dossier_id)
    )
    return (current or 0) + 1


def contains(db: Session, dossier_id: uuid.UUID, document_id: uuid.UUID) -> bool:
    return (
        db.scalar(
            select(DossierItem.id).where(
                DossierItem.dossier_id == dossier_id, DossierItem.document_id == document_id
            )
        )
        is not None
    )


def page_of_dossiers(
    db: Session, actor: Actor, limit: int, offset: int
) -> tuple[int, Sequence[tuple[Dossier, str, int]]]:
    count = (
        select(func.count(DossierItem.id))
        .where(DossierItem.dossier_id == Dossier.id)
        .scalar_subquery()
    )
    base = (
        select(Dossier, Department.code, count)
        .join(Department, Department.id == Dossier.owning_department_id)
        .where(visible_to(actor))
    )
    total = db.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = db.execute(
        base.order_by(Dossier.created_at.desc(), Dossier.id).limit(limit).offset(offset)
    )
    return total, rows.all()
