"""Cases (expedientes de trámite): the chain of register entries, transfers and receipts
that one incoming document starts. A case's id is that of what opened it; whatever
forwards, answers or registers a document of the case again joins it."""

from __future__ import annotations

import uuid

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from docsvc.errors import NotFound
from docsvc.models.register import RegisterEntry
from docsvc.models.transfers import Transfer


def case_exists(db: Session, case_id: uuid.UUID) -> bool:
    return (
        db.scalar(select(RegisterEntry.id).where(RegisterEntry.case_id == case_id).limit(1))
        is not None
        or db.scalar(select(Transfer.id).where(Transfer.case_id == case_id).limit(1)) is not None
    )


def case_of_record(
    db: Session, document_id: uuid.UUID | None, dossier_id: uuid.UUID | None
) -> uuid.UUID | None:
    """The case of the latest entry or transfer about this document or dossier."""
    entry_match = []
    transfer_match = []
    if document_id is not None:
        entry_match.append(RegisterEntry.document_id == document_id)
        transfer_match.append(Transfer.document_id == document_id)
    if dossier_id is not None:
        entry_match.append(RegisterEntry.dossier_id == dossier_id)
        transfer_match.append(Transfer.dossier_id == dossier_id)
    if not entry_match:
        return None
    candidates = []
    entry = db.execute(
        select(RegisterEntry.case_id, RegisterEntry.registered_at)
        .where(or_(*entry_match))
        .order_by(RegisterEntry.registered_at.desc())
        .limit(1)
    ).first()
    if entry is not None:
        candidates.append((entry[1], entry[0]))
    transfer = db.execute(
        select(Transfer.case_id, Transfer.created_at)
        .where(or_(*transfer_match))
        .order_by(Transfer.created_at.desc())
        .limit(1)
    ).first()
    if transfer is not None:
        candidates.append((transfer[1], transfer[0]))
    return max(candidates)[1] if candidates else None


def case_for(
    db: Session,
    requested: uuid.UUID | None,
    document_id: uuid.UUID | None,
    dossier_id: uuid.UUID | None,
) -> uuid.UUID:
    """The case to join: the one asked for (it must exist), else the record's, else new."""
    if requested is not None:
        if not case_exists(db, requested):
            raise NotFound("No such case.", code="case_not_found")
        return requested
    return case_of_record(db, document_id, dossier_id) or uuid.uuid4()
