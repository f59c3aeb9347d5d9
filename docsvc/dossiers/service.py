"""Dossier rules: a dossier belongs to a department, holds documents in order, and once
closed, or sealed by its signed index (or while that index is being made), takes no
more."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from docsvc.actors.actor import Actor
from docsvc.audit.service import record_event
from docsvc.db.base import utcnow
from docsvc.documents.access import can_author, can_read
from docsvc.documents.repository import document_by_id, granted_departments
from docsvc.dossiers import repository
from docsvc.dossiers.schemas import (
    DossierIn,
    DossierItemOut,
    DossierOut,
    DossierPage,
    DossierSummary,
    SealStatus,
)
from docsvc.errors import Conflict, NotFound, PermissionDenied
from docsvc.identity.repository import department_code
from docsvc.ledger import events as register_events
from docsvc.models import (
    Confidentiality,
    Dossier,
    DossierItem,
    DossierStatus,
    Job,
    JobState,
    Role,
)


def create_dossier(db: Session, actor: Actor, data: DossierIn) -> DossierOut:
    if not can_author(actor, actor.department_id):
        raise PermissionDenied(
            "Your role cannot create dossiers.", code="role_cannot_create_dossiers"
        )
    dossier = Dossier(
        id=uuid.uuid4(),
        title=data.title,
        subject=data.subject,
        owning_department_id=actor.department_id,
        confidentiality=data.confidentiality.value,
        status=DossierStatus.open.value,
        created_by_id=actor.user_id,
    )
    db.add(dossier)
    db.flush()
    record_event(
        db,
        actor,
        "dossier.create",
        object_type="dossier",
        object_id=str(dossier.id),
        details={"title": data.title},
    )
    return _out(db, dossier)


def _readable(db: Session, actor: Actor, dossier_id: uuid.UUID) -> Dossier:
    dossier = repository.dossier_by_id(db, dossier_id)
    if dossier is None or not (
        can_read(actor, dossier.owning_department_id, dossier.confidentiality, ())
        or repository.archive_lets_read(db, actor, dossier.id)
    ):
        raise NotFound("No such dossier, or it is not visible to you.", code="dossier_not_found")
    return dossier


def readable_dossier(db: Session, actor: Actor, dossier_id: uuid.UUID) -> Dossier:
    """The dossier if the actor may see it; NotFound otherwise (same answer for both)."""
    return _readable(db, actor, dossier_id)


def get_dossier(db: Session, actor: Actor, dossier_id: uuid.UUID) -> DossierOut:
    dossier = _readable(db, actor, dossier_id)
    record_event(db, actor, "dossier.read", object_type="dossier", object_id=str(dossier.id))
    return _out(db, dossier)


def list_dossiers(db: Session, actor: Actor, limit: int, offset: int) -> DossierPage:
    total, rows = repository.page_of_dossiers(db, actor, limit, offset)
    record_event(db, actor, "dossier.list", object_type="dossier")
    return DossierPage(
        total=total,
        items=[
            DossierSummary(
                id=d.id,
                title=d.title,
                confidentiality=Confidentiality(d.confidentiality),
                status=DossierStatus(d.status),
                owning_department=code,
                created_at=d.created_at,
                item_count=count,
            )
            for d, code, count in rows
        ],
    )


def add_document(
    db: Session, actor: Actor, dossier_id: uuid.UUID, document_id: uuid.UUID
) -> DossierOut:
    dossier = _editable(db, actor, dossier_id)
    document = document_by_id(db, document_id)
    if document is None or not can_read(
        actor,
        document.owning_department_id,
        document.confidentiality,
        granted_departments(db, document.id),
    ):
        raise NotFound("No such document, or it is not visible to you.", code="document_not_found")
    if repository.contains(db, dossier.id, document.id):
        raise Conflict("The document is already in this dossier.", code="already_in_dossier")
    position = repository.next_position(db, dossier.id)
    db.add(
        DossierItem(
            dossier_id=dossier.id,
            document_id=document.id,
            position=position,
            added_by_id=actor.user_id,
        )
    )
    db.flush()
    record_event(
        db,
        actor,
        "dossier.add_document",
        object_type="dossier",
        object_id=str(dossier.id),
        details={"document_id": str(document.id), "position": position},
    )
    return _out(db, dossier)


def _editable(db: Session, actor: Actor, dossier_id: uuid.UUID) -> Dossier:
    """The dossier, if its composition may change now and by this actor."""
    dossier = _readable(db, actor, dossier_id)
    if not can_author(actor, dossier.owning_department_id):
        raise PermissionDenied(
            "Only the owning department can change this dossier.",
            code="not_owning_department",
        )
    if dossier.status != DossierStatus.open.value:
        raise Conflict("The dossier is closed.", code="dossier_closed")
    if dossier.seal_request is not None:
        # The line's signatures are recorded and its index is being made: it lists what
        # they signed, so nothing comes in or moves until it is recorded.
        raise Conflict(
            "The dossier's index is being sealed; its documents cannot change.",
            code="dossier_sealing",
        )
    if dossier.sealed_index_id is not None:
        # The signed index seals the composition; a new index version (a new signing line
        # over the dossier) is the only change it admits.
        raise Conflict(
            "The dossier is sealed by its signed index; its documents cannot change.",
            code="dossier_sealed",
        )
    return dossier


def move_document(
    db: Session, actor: Actor, dossier_id: uuid.UUID, document_id: uuid.UUID, position: int
) -> DossierOut:
    """Put the document at ``position`` (1-based, clamped to the dossier's length), the
    others keeping their order around it."""
    dossier = _editable(db, actor, dossier_id)
    items = [item for item, _, _ in repository.items_of(db, dossier.id)]
    moved = next((i for i in items if i.document_id == document_id), None)
    if moved is None:
        raise NotFound("The document is not in this dossier.", code="not_in_dossier")
    order = [i for i in items if i is not moved]
    order.insert(max(0, min(position - 1, len(order))), moved)
    before = moved.position
    # Positions are unique per dossier: through negatives, so that no two rows ever share one.
    for number, item in enumerate(order, start=1):
        item.position = -number
    db.flush()
    for item in order:
        item.position = -item.position
    db.flush()
    record_event(
        db,
        actor,
        "dossier.move_document",
        object_type="dossier",
        object_id=str(dossier.id),
        details={"document_id": str(document_id), "from": before, "to": moved.position},
    )
    return _out(db, dossier)


def close_dossier(db: Session, actor: Actor, dossier_id: uuid.UUID) -> DossierOut:
    dossier = _readable(db, actor, dossier_id)
    allowed = can_author(actor, dossier.owning_department_id) or actor.has_any(Role.archivist)
    if not allowed:
        raise PermissionDenied(
            "Only the owning department or an archivist can close a dossier.",
            code="not_owning_department",
        )
    if dossier.status == DossierStatus.closed.value:
        raise Conflict("The dossier is already closed.", code="dossier_closed")
    dossier.status = DossierStatus.closed.value
    dossier.closed_at = utcnow()
    register_events.record_archival(
        db,
        "dossier_close",
        str(dossier.id),
        {"documents": len(repository.items_of(db, dossier.id))},
        actor.username,
    )
    record_event(db, actor, "dossier.close", object_type="dossier", object_id=str(dossier.id))
    return _out(db, dossier)


def seal_status(db: Session, dossier: Dossier) -> SealStatus | None:
    """Where the last seal asked for stands: its job's state while the job may still
    make it, ``needs_pin`` when none will."""
    if dossier.seal_request is None:
        return SealStatus.sealed if dossier.sealed_index_id is not None else None
    job = db.get(Job, dossier.seal_job_id) if dossier.seal_job_id is not None else None
    if job is not None and job.state in (JobState.queued.value, JobState.running.value):
        return SealStatus(job.state)
    return SealStatus.needs_pin


def _out(db: Session, dossier: Dossier) -> DossierOut:
    return DossierOut(
        id=dossier.id,
        title=dossier.title,
        subject=dossier.subject,
        confidentiality=Confidentiality(dossier.confidentiality),
        status=DossierStatus(dossier.status),
        owning_department=department_code(db, dossier.owning_department_id),
        created_at=dossier.created_at,
        sealed_index_id=dossier.sealed_index_id,
        sealed_at=dossier.sealed_at,
        seal_status=seal_status(db, dossier),
        seal_job_id=dossier.seal_job_id,
        items=[
            DossierItemOut(
                position=item.position,
                document_id=document.id,
                title=document.title,
                doc_type=document.doc_type,
                latest_version=version.number,
                sha256=version.sha256,
                added_at=item.added_at,
            )
            for item, document, version in repository.items_of(db, dossier.id)
        ],
    )
