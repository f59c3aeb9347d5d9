"""Cases (expedientes de trámite): the chain of register entries, transfers and receipts
that one incoming document starts. A case's id is that of what opened it; whatever
forwards, answers or registers a document of the case again joins it.

Joining a case shows its whole history to the department that joins, so only a case the
caller already sees (``access.sees_case``: the rule that guards reading a history) can be
joined: asked for by id, or inherited from the record's earlier entries and transfers."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from docsvc.actors.actor import Actor
from docsvc.errors import NotFound
from docsvc.models.register import RegisterEntry
from docsvc.models.transfers import Transfer
from docsvc.register.access import sees_case


def case_departments(db: Session, case_id: uuid.UUID) -> set[uuid.UUID]:
    """The departments that hold an entry in the case, or sent or were sent a transfer in
    it; empty when there is no such case."""
    departments = set(
        db.scalars(select(RegisterEntry.department_id).where(RegisterEntry.case_id == case_id))
    )
    for sender, receiver in db.execute(
        select(Transfer.from_department_id, Transfer.to_department_id).where(
            Transfer.case_id == case_id
        )
    ):
        departments.update((sender, receiver))
    return departments


def visible_case(db: Session, actor: Actor, case_id: uuid.UUID) -> bool:
    """Whether the case exists and ``actor`` may read its history."""
    return sees_case(actor, case_departments(db, case_id))


def cases_of_record(
    db: Session, document_id: uuid.UUID | None, dossier_id: uuid.UUID | None
) -> list[uuid.UUID]:
    """The cases of the entries and transfers about this document or dossier, the latest
    first."""
    entry_match = []
    transfer_match = []
    if document_id is not None:
        entry_match.append(RegisterEntry.document_id == document_id)
        transfer_match.append(Transfer.document_id == document_id)
    if dossier_id is not None:
        entry_match.append(RegisterEntry.dossier_id == dossier_id)
        transfer_match.append(Transfer.dossier_id == dossier_id)
    if not entry_match:
        return []
    dated: list[tuple[datetime, uuid.UUID]] = [
        (when, case_id)
        for when, case_id in db.execute(
            select(RegisterEntry.registered_at, RegisterEntry.case_id).where(or_(*entry_match))
        )
    ]
    dated += [
        (when, case_id)
        for when, case_id in db.execute(
            select(Transfer.created_at, Transfer.case_id).where(or_(*transfer_match))
        )
    ]
    dated.sort(key=lambda row: row[0], reverse=True)
    return list(dict.fromkeys(case_id for _, case_id in dated))


def case_of_record(
    db: Session, actor: Actor, document_id: uuid.UUID | None, dossier_id: uuid.UUID | None
) -> uuid.UUID | None:
    """The case of the latest entry or transfer about this document or dossier that
    ``actor`` sees. A case it does not see is never inherited: registering or sending a
    record that another department's case holds does not open that case to the caller."""
    for case_id in cases_of_record(db, document_id, dossier_id):
        if visible_case(db, actor, case_id):
            return case_id
    return None


def case_for(
    db: Session,
    actor: Actor,
    requested: uuid.UUID | None,
    document_id: uuid.UUID | None,
    dossier_id: uuid.UUID | None,
) -> uuid.UUID:
    """The case to join: the one asked for (it must exist and ``actor`` must see it: the
    same 404 either way, so case ids are not confirmed), else the record's latest case that
    ``actor`` sees, else a new one."""
    if requested is not None:
        if not visible_case(db, actor, requested):
            raise NotFound("No such case.", code="case_not_found")
        return requested
    return case_of_record(db, actor, document_id, dossier_id) or uuid.uuid4()
