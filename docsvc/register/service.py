"""Register entries: registering a document or dossier as incoming or outgoing with the
next registry number, annulling with a reason, and finding entries. Entries are never
deleted or renumbered; every change is an audit event."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from docsvc.actors.actor import Actor
from docsvc.audit.service import record_event
from docsvc.calendar.local import local_date
from docsvc.config import Settings
from docsvc.db.base import utcnow
from docsvc.documents import codes
from docsvc.documents import repository as documents_repository
from docsvc.documents.service import readable_document
from docsvc.dossiers.service import readable_dossier
from docsvc.errors import Conflict, NotFound, PermissionDenied
from docsvc.ledger import checkpoints, log
from docsvc.ledger.events import LeafData, record_leaf
from docsvc.models import Department, Role
from docsvc.models.register import Direction, RegisterCheckpoint, RegisterEntry
from docsvc.models.transfers import Receipt, Transfer
from docsvc.pki.authorities import checkpoint_signer
from docsvc.register import cases
from docsvc.register.access import READ_ALL_ROLES, sees_entry, sees_transfer
from docsvc.register.numbering import next_sequence, registry_number
from docsvc.register.schemas import AnnulIn, EntryIn, EntryOut, EntryPage
from docsvc.runtime.keyring import Keyring

# Who keeps the register: the registry office, legal staff, and administrators.
REGISTER_ROLES = frozenset({Role.registry_clerk, Role.legal, Role.admin})


def local_year(settings: Settings, moment: datetime) -> int:
    """The registration's year where the institution is: an entry made on 31 December at
    21:00 in Quito belongs to that year, though it is already 1 January in UTC."""
    return local_date(settings, moment).year


def create_entry(db: Session, settings: Settings, actor: Actor, body: EntryIn) -> EntryOut:
    if not actor.roles & REGISTER_ROLES:
        raise PermissionDenied(
            "Only registry, legal or administration staff keep the register.",
            code="not_registry_staff",
        )
    department_id = body.department_id or actor.department_id
    if department_id != actor.department_id and Role.admin not in actor.roles:
        raise PermissionDenied(
            "You register for your own department only.", code="other_department"
        )
    department = db.get(Department, department_id)
    if department is None or not department.active:
        raise NotFound("No such department.", code="department_not_found")
    # Only what the registering official may see can be registered (NotFound otherwise).
    document_sha256 = None
    if body.document_id is not None:
        document = readable_document(db, actor, body.document_id)
        # The code printed on the receipt, by which whoever delivered it checks it later.
        if document.verification_code is None:
            document.verification_code = codes.new_code()
        # The registered document's current version, which the leaf pins down.
        version = documents_repository.version_of(db, document.id, document.latest_version)
        document_sha256 = version.sha256 if version is not None else None
    if body.dossier_id is not None:
        readable_dossier(db, actor, body.dossier_id)
    direction = Direction(body.direction)
    # Joining a case opens its history to the department: only a case it already sees.
    case_id = cases.case_for(db, actor, body.case_id, body.document_id, body.dossier_id)
    now = utcnow()
    year = local_year(settings, now)
    sequence = next_sequence(db, department.id, direction, year)
    entry = RegisterEntry(
        id=uuid.uuid4(),
        department_id=department.id,
        direction=direction.value,
        year=year,
        sequence=sequence,
        number=registry_number(department.code, direction, year, sequence),
        subject=body.subject.strip(),
        counterpart=body.counterpart.strip(),
        document_date=body.document_date,
        document_id=body.document_id,
        dossier_id=body.dossier_id,
        case_id=case_id,
        registered_by=actor.user_id,
        registered_at=now,
    )
    db.add(entry)
    db.flush()
    data = entry_leaf(entry, department.code, actor.username, document_sha256)
    record_leaf(db, "register.entry", "register_entry", entry.id, data, now)
    record_event(
        db,
        actor,
        "register.entry",
        object_type="register_entry",
        object_id=str(entry.id),
        department_id=department.id,
        details={
            "number": entry.number,
            "direction": entry.direction,
            "document_id": str(entry.document_id or ""),
            "dossier_id": str(entry.dossier_id or ""),
        },
    )
    return entry_out(entry)


def entry_leaf(
    entry: RegisterEntry, department: str, registered_by: str, document_sha256: str | None
) -> LeafData:
    """A ``register.entry`` leaf: the entry, with its department's code, its registering
    official's username and the sha256 of the document's version when it was registered."""
    return LeafData(
        public={
            "number": entry.number,
            "direction": entry.direction,
            "department": department,
            "document_id": str(entry.document_id) if entry.document_id else None,
            "dossier_id": str(entry.dossier_id) if entry.dossier_id else None,
            "document_sha256": document_sha256,
        },
        private={
            "subject": entry.subject,
            "counterpart": entry.counterpart,
            "document_date": entry.document_date.isoformat() if entry.document_date else None,
            "registered_by": registered_by,
        },
    )


def annulment_leaf(entry: RegisterEntry, annulled_by: str) -> LeafData:
    """A ``register.annul`` leaf: the annulled entry's number, the reason and who."""
    return LeafData(
        public={"number": entry.number},
        private={"reason": entry.annulment_reason, "annulled_by": annulled_by},
    )


def annul_entry(db: Session, actor: Actor, entry_id: uuid.UUID, body: AnnulIn) -> EntryOut:
    """Annul an entry with a reason; it keeps its number and stays in the register."""
    entry = _visible_entry(db, actor, entry_id)
    if not actor.roles & REGISTER_ROLES or (
        entry.department_id != actor.department_id and Role.admin not in actor.roles
    ):
        raise PermissionDenied(
            "Only the department's registry staff can annul its entries.",
            code="not_registry_staff",
        )
    if entry.annulled_at is not None:
        raise Conflict(f"Entry {entry.number} is already annulled.", code="already_annulled")
    entry.annulled_at = utcnow()
    entry.annulled_by = actor.user_id
    entry.annulment_reason = body.reason.strip()
    db.flush()
    data = annulment_leaf(entry, actor.username)
    record_leaf(db, "register.annul", "register_entry", entry.id, data, entry.annulled_at)
    record_event(
        db,
        actor,
        "register.annul",
        object_type="register_entry",
        object_id=str(entry.id),
        department_id=entry.department_id,
        details={"number": entry.number, "reason": entry.annulment_reason},
    )
    return entry_out(entry)


def get_entry(db: Session, actor: Actor, entry_id: uuid.UUID) -> EntryOut:
    return entry_out(_visible_entry(db, actor, entry_id))


def visible_entry(db: Session, actor: Actor, entry_id: uuid.UUID) -> RegisterEntry:
    """The entry, if the actor may see it (else ``NotFound``)."""
    return _visible_entry(db, actor, entry_id)


def list_entries(
    db: Session,
    actor: Actor,
    *,
    department_id: uuid.UUID | None,
    direction: Direction | None,
    year: int | None,
    document_id: uuid.UUID | None,
    limit: int,
    offset: int,
) -> EntryPage:
    """A department's entries, newest number first; the caller's own department unless
    they may read every register."""
    if department_id is None:
        department_id = None if actor.roles & READ_ALL_ROLES else actor.department_id
    elif department_id != actor.department_id and not actor.roles & READ_ALL_ROLES:
        raise PermissionDenied(
            "You may read your own department's register.", code="other_department"
        )
    query = select(RegisterEntry)
    if department_id is not None:
        query = query.where(RegisterEntry.department_id == department_id)
    if direction is not None:
        query = query.where(RegisterEntry.direction == direction.value)
    if year is not None:
        query = query.where(RegisterEntry.year == year)
    if document_id is not None:
        query = query.where(RegisterEntry.document_id == document_id)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.scalars(
        query.order_by(
            RegisterEntry.year.desc(), RegisterEntry.sequence.desc(), RegisterEntry.number
        )
        .limit(limit)
        .offset(offset)
    )
    return EntryPage(items=[entry_out(r) for r in rows], total=total, limit=limit, offset=offset)


def registry_numbers(db: Session, document_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    """Each document's registry numbers, annulled entries left out, oldest first."""
    ids = list(document_ids)
    found: dict[uuid.UUID, list[str]] = defaultdict(list)
    if not ids:
        return found
    rows = db.execute(
        select(RegisterEntry.document_id, RegisterEntry.number)
        .where(RegisterEntry.document_id.in_(ids), RegisterEntry.annulled_at.is_(None))
        .order_by(RegisterEntry.registered_at, RegisterEntry.number)
    )
    for document_id, number in rows:
        if document_id is not None:
            found[document_id].append(number)
    return found


def dossier_registry_numbers(db: Session, dossier_id: uuid.UUID) -> list[str]:
    return list(
        db.scalars(
            select(RegisterEntry.number)
            .where(RegisterEntry.dossier_id == dossier_id, RegisterEntry.annulled_at.is_(None))
            .order_by(RegisterEntry.registered_at, RegisterEntry.number)
        )
    )


# Who may read the confidential details that leaves commit to.


def leaf_details(db: Session, actor: Actor, index: int) -> dict[str, Any]:
    """The confidential details a leaf commits to (a subject, instructions, a title), for
    whoever may see what the leaf describes by that thing's own rule: the departments of a
    transfer, who may read the document; 404 otherwise, as for a leaf that does not exist.
    Each read is an audit event."""
    row = log.leaf(db, index)
    if row is None or not sees_leaf_object(db, actor, row.object_type, row.object_id):
        raise NotFound(f"The register has no leaf {index}.", code="leaf_not_found")
    record_event(
        db, actor, "register.leaf_details", object_type="register_leaf", object_id=str(index)
    )
    details: dict[str, Any] = json.loads(row.details) if row.details else {}
    return details


CHECKPOINT_ROLES = frozenset({Role.admin, Role.auditor, Role.registry_clerk})
# Leaves about the archive's own records (docsvc.archival).
ARCHIVE_OBJECTS = frozenset(
    {
        "archive_transfer",
        "archive_loan",
        "legal_hold",
        "disposal",
        "retention_table",
        "classification",
    }
)


def checkpoint_now(db: Session, keys: Keyring, actor: Actor) -> RegisterCheckpoint:
    if not actor.roles & CHECKPOINT_ROLES:
        raise PermissionDenied(
            "Only registry, audit or administration staff ask for checkpoints.",
            code="not_registry_staff",
        )
    checkpoint = checkpoints.make_checkpoint(db, keys.settings, checkpoint_signer(keys))
    record_event(
        db,
        actor,
        "register.checkpoint",
        object_type="register_checkpoint",
        object_id=str(checkpoint.id),
        details={"size": checkpoint.size, "root": checkpoint.root.hex()},
    )
    return checkpoint


def sees_leaf_object(db: Session, actor: Actor, object_type: str, object_id: str) -> bool:
    """Whether ``actor`` may see what a leaf describes, by the rule of that thing: a
    register entry (its department), a transfer or its receipt (the sending and receiving
    departments), a document or a dossier (who may read it), the archive's own records (its
    staff and auditors). Anything else: nobody."""
    try:
        ident = uuid.UUID(object_id)
    except ValueError:
        return False
    if object_type == "register_entry":
        entry = db.get(RegisterEntry, ident)
        return entry is not None and sees_entry(actor, entry)
    if object_type == "transfer":
        transfer = db.get(Transfer, ident)
        return transfer is not None and sees_transfer(actor, transfer)
    if object_type == "receipt":
        receipt = db.get(Receipt, ident)
        transfer = db.get(Transfer, receipt.transfer_id) if receipt is not None else None
        return transfer is not None and sees_transfer(actor, transfer)
    if object_type in ARCHIVE_OBJECTS:
        # The archive's own records (its transfers' inventories, loans, holds, disposals)
        # are its staff's and its auditors'.
        return actor.has_any(Role.archivist, Role.archive_committee, Role.auditor, Role.admin)
    try:
        if object_type == "document":
            readable_document(db, actor, ident)
            return True
        if object_type == "dossier":
            readable_dossier(db, actor, ident)
            return True
    except NotFound:
        return False
    return False


def _visible_entry(db: Session, actor: Actor, entry_id: uuid.UUID) -> RegisterEntry:
    entry = db.get(RegisterEntry, entry_id)
    if entry is None or not sees_entry(actor, entry):
        raise NotFound("No such register entry.", code="entry_not_found")
    return entry


def entry_out(entry: RegisterEntry) -> EntryOut:
    return EntryOut(
        id=entry.id,
        number=entry.number,
        department_id=entry.department_id,
        direction=Direction(entry.direction).value,
        year=entry.year,
        sequence=entry.sequence,
        subject=entry.subject,
        counterpart=entry.counterpart,
        document_date=entry.document_date,
        document_id=entry.document_id,
        dossier_id=entry.dossier_id,
        case_id=entry.case_id,
        registered_by=entry.registered_by,
        registered_at=entry.registered_at,
        annulled=entry.annulled_at is not None,
        annulled_at=entry.annulled_at,
        annulment_reason=entry.annulment_reason,
    )
