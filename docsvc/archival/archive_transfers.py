"""Archival transfers (transferencia primaria): an office hands what is due to the central
archive. It is done in two steps, each a request of its own:

1. **Prepare**: the inventory (FUID-style: number, series, title, dates, volume, and the
   SHA-256 of every stored version, archive.inventory) becomes a record (canonical JSON) and
   a PDF document that people read, owned by the office; the holdings listed are reserved.
2. **Send**: the sender signs the inventory record (CAdES) and sends the inventory document
   to the archive as an ordinary transfer, signed too. Each signature counts its PIN
   attempt in a transaction of its own, so both are made before anything is written.

The archive acknowledges the transfer from its inbox with a signed receipt, like any other;
:func:`receive_acknowledged` then moves the holdings to the central archive and puts their
stored objects under retention until their disposal date (S3 object lock; the local store
enforces it itself)."""

from __future__ import annotations

import hashlib
import tempfile
import uuid
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.orm import Session

from archive.inventory import (
    Inventory,
    InventoryItem,
    InventoryKind,
    inventory_from_record,
    inventory_record,
)
from archive.retention import add_years
from docsvc.actors.actor import Actor
from docsvc.archival.holdings import holdings_out
from docsvc.archival.renewal_queue import request_run
from docsvc.archival.schemas import ArchiveTransferOut, HoldingOut
from docsvc.audit.service import record_event
from docsvc.calendar.local import local_date
from docsvc.config import Settings
from docsvc.db.base import utcnow
from docsvc.documents import service as documents
from docsvc.documents.access import can_author
from docsvc.documents.html_pdf import html_pdf
from docsvc.documents.schemas import DocumentMetadataIn
from docsvc.documents.uploads import ReceivedFile
from docsvc.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from docsvc.ledger.events import LeafData, record_leaf
from docsvc.locale import Translator
from docsvc.models import (
    ArchiveHolding,
    ArchivePhase,
    ArchiveTransfer,
    ClassificationNode,
    Confidentiality,
    Department,
    DisposalItem,
    DisposalProposal,
    DisposalStatus,
    Document,
    DocumentType,
    DocumentVersion,
    Dossier,
    DossierItem,
    RetentionTable,
    Role,
    Transfer,
    TransferStatus,
    User,
    UserRole,
)
from docsvc.services import Services
from docsvc.signatures import service as signatures
from docsvc.transfers import service as transfers
from docsvc.transfers.schemas import TransferIn

TEMPLATES = Path(__file__).parent / "pdf_templates"
# The transfer's instructions, in the institution's language like its registry entries.
INSTRUCTIONS = {
    InventoryKind.primary.value: "Transferencia primaria al archivo central: inventario adjunto.",
    InventoryKind.secondary.value: (
        "Transferencia secundaria al archivo histórico: inventario adjunto."
    ),
}
# A disposal item's outcome when the record is kept for good (docsvc.archival.disposals).
KEPT_FOR_HISTORY = "historical"
# The phase a transfer's receipt moves its records to.
PHASE_AFTER = {
    InventoryKind.primary.value: ArchivePhase.central.value,
    InventoryKind.secondary.value: ArchivePhase.historical.value,
}


def archive_department(db: Session, services: Services) -> Department:
    """Where the archive is: ``DOCSVC_ARCHIVE_DEPARTMENT``, or else the department of the
    first active archivist."""
    code = services.settings.archive_department
    if code:
        found = db.scalar(select(Department).where(Department.code == code))
    else:
        found = db.scalar(
            select(Department)
            .join(User, User.department_id == Department.id)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == Role.archivist.value, User.active.is_(True))
            .order_by(User.username)
            .limit(1)
        )
    if found is None:
        raise Conflict("No archive department is configured.", code="archive_no_department")
    return found


def historical_department(db: Session, services: Services, central: Department) -> Department:
    """Where the historical archive is: ``DOCSVC_HISTORICAL_ARCHIVE_DEPARTMENT``, or else the
    department of the first active archivist outside the central archive's."""
    code = services.settings.historical_archive_department
    if code:
        found = db.scalar(select(Department).where(Department.code == code))
    else:
        found = db.scalar(
            select(Department)
            .join(User, User.department_id == Department.id)
            .join(UserRole, UserRole.user_id == User.id)
            .where(
                UserRole.role == Role.archivist.value,
                User.active.is_(True),
                Department.id != central.id,
            )
            .order_by(User.username)
            .limit(1)
        )
    if found is None or found.id == central.id:
        raise Conflict(
            "No historical archive is configured apart from the central archive.",
            code="archive_no_historical",
        )
    return found


def _listed_in_secondary() -> Select[uuid.UUID]:
    return select(ArchiveTransfer.id).where(ArchiveTransfer.kind == InventoryKind.secondary.value)


def kept_for_history() -> ColumnElement[bool]:
    """A condition on ``ArchiveHolding``: in the central archive, kept for good by an
    executed disposal (conservación total, or kept by selection), and not yet listed in a
    secondary transfer's inventory."""
    return and_(
        ArchiveHolding.phase == ArchivePhase.central.value,
        ArchiveHolding.id.in_(
            select(DisposalItem.holding_id)
            .join(DisposalProposal, DisposalProposal.id == DisposalItem.proposal_id)
            .where(
                DisposalProposal.status == DisposalStatus.executed.value,
                DisposalItem.outcome == KEPT_FOR_HISTORY,
            )
        ),
        or_(
            ArchiveHolding.archive_transfer_id.is_(None),
            ArchiveHolding.archive_transfer_id.not_in(_listed_in_secondary()),
        ),
    )


def due_for_secondary(db: Session, actor: Actor) -> list[HoldingOut]:
    """What the central archive hands to the historical archive (secondary transfer)."""
    if not actor.has_any(Role.archivist, Role.archive_committee, Role.auditor, Role.admin):
        return []
    rows = db.scalars(
        select(ArchiveHolding)
        .where(kept_for_history())
        .order_by(ArchiveHolding.disposal_on, ArchiveHolding.id)
        .limit(1000)
    )
    return holdings_out(db, list(rows))


def prepare_primary(
    db: Session, services: Services, actor: Actor, holding_ids: list[uuid.UUID], t: Translator
) -> ArchiveTransfer:
    """The inventory of the chosen holdings (all of one office, in the office phase, due),
    as a record and a PDF document of the office; the holdings are reserved for it."""
    rows = _chosen(db, holding_ids)
    offices = {row.department_id for row in rows}
    if len(offices) != 1:
        raise InvalidInput("A transfer is one office's.", code="archive_one_office")
    office_id = offices.pop()
    if not (can_author(actor, office_id) or actor.has_any(Role.archivist)):
        raise PermissionDenied("Its office transfers a record.", code="not_owning_department")
    today = local_date(services.settings)
    for row in rows:
        if row.phase != ArchivePhase.office.value or row.archive_transfer_id is not None:
            raise Conflict("A record chosen is already transferred.", code="archive_transferred")
        if row.central_on is None or row.central_on > today:
            raise Conflict("A record chosen is not due for transfer yet.", code="archive_not_due")
        dossier = db.get(Dossier, row.dossier_id) if row.dossier_id is not None else None
        if dossier is not None and dossier.seal_request is not None:
            # Its signed index is still to be made: it must travel with the dossier.
            raise Conflict(
                "The dossier's index is being sealed: its documents cannot change until it is.",
                code="dossier_sealing",
            )
    office = db.get(Department, office_id)
    assert office is not None
    return _prepare(
        db,
        services,
        actor,
        rows,
        InventoryKind.primary,
        office,
        archive_department(db, services),
        t,
    )


def prepare_secondary(
    db: Session, services: Services, actor: Actor, holding_ids: list[uuid.UUID], t: Translator
) -> ArchiveTransfer:
    """The central archive's inventory of what it hands to the historical archive: records
    an executed disposal kept for good. Its archivists prepare it."""
    rows = _chosen(db, holding_ids)
    central = archive_department(db, services)
    if not (actor.has_any(Role.archivist) and can_author(actor, central.id)):
        raise PermissionDenied(
            "The central archive's archivists hand records to the historical archive.",
            code="not_an_archivist",
        )
    kept = set(db.scalars(select(ArchiveHolding.id).where(kept_for_history())))
    if not {row.id for row in rows} <= kept:
        raise Conflict(
            "A record chosen is not kept for the historical archive, or is listed already.",
            code="archive_not_due",
        )
    historical = historical_department(db, services, central)
    return _prepare(db, services, actor, rows, InventoryKind.secondary, central, historical, t)


def _chosen(db: Session, holding_ids: list[uuid.UUID]) -> list[ArchiveHolding]:
    if not holding_ids:
        raise InvalidInput("Choose what to transfer.", code="archive_nothing_chosen")
    rows = list(db.scalars(select(ArchiveHolding).where(ArchiveHolding.id.in_(holding_ids))))
    if len(rows) != len(set(holding_ids)):
        raise NotFound("Not every record chosen is filed.", code="holding_not_found")
    return rows


def _prepare(
    db: Session,
    services: Services,
    actor: Actor,
    rows: list[ArchiveHolding],
    kind: InventoryKind,
    sender: Department,
    receiver: Department,
    t: Translator,
) -> ArchiveTransfer:
    """The inventory as a canonical record, and as a PDF document of the sender; the
    holdings are listed in it until the receiver acknowledges it."""
    today = local_date(services.settings)
    items = tuple(
        _item(db, services.settings, number, row) for number, row in enumerate(rows, start=1)
    )
    table_numbers = {row.table_id for row in rows}
    table = db.get(RetentionTable, next(iter(table_numbers))) if len(table_numbers) == 1 else None
    inventory = Inventory(
        kind=kind,
        institution=services.settings.institution_code,
        from_unit=sender.code,
        to_unit=receiver.code,
        made_on=today,
        items=items,
        table_version=table.number if table is not None else None,
    )
    record = inventory_record(inventory)
    title = (
        t.gettext(
            "Primary transfer inventory, %(office)s, %(day)s",
            office=sender.code,
            day=t.format_date(today, "long"),
        )
        if kind is InventoryKind.primary
        else t.gettext(
            "Secondary transfer inventory, %(office)s, %(day)s",
            office=sender.code,
            day=t.format_date(today, "long"),
        )
    )
    pdf = html_pdf(
        TEMPLATES,
        "inventory.html",
        t,
        {
            "title": title,
            "institution": services.settings.institution_name,
            "office": sender,
            "archive": receiver,
            "made_on": today,
            "table_number": inventory.table_version or "—",
            "record_sha256": hashlib.sha256(record).hexdigest(),
            "items": items,
        },
    )
    with tempfile.TemporaryDirectory(prefix="docsvc-inventory-") as tmp:
        path = Path(tmp) / "inventario.pdf"
        path.write_bytes(pdf)
        document = documents.create_document(
            db,
            services.store,
            services.settings,
            actor,
            DocumentMetadataIn(
                doc_type=DocumentType.other,
                title=title,
                subject=t.gettext("Inventory of the records transferred to the archive."),
                confidentiality=Confidentiality.internal,
            ),
            ReceivedFile(
                path=path,
                sha256=hashlib.sha256(pdf).hexdigest(),
                size=len(pdf),
                filename="inventario.pdf",
                content_type="application/pdf",
            ),
        )
    transfer = ArchiveTransfer(
        kind=kind.value,
        department_id=sender.id,
        archive_department_id=receiver.id,
        inventory_document_id=document.id,
        record=record,
        prepared_by_id=actor.user_id,
    )
    db.add(transfer)
    db.flush()
    for row in rows:
        row.archive_transfer_id = transfer.id
    record_leaf(
        db,
        "archive.inventory",
        "archive_transfer",
        transfer.id,
        LeafData(
            public={
                "kind": transfer.kind,
                "from": sender.code,
                "to": receiver.code,
                "items": len(items),
                "record_sha256": hashlib.sha256(record).hexdigest(),
                "inventory_document": str(document.id),
            },
            private={"by": actor.username},
        ),
    )
    record_event(
        db,
        actor,
        "archive.transfer.prepare",
        object_type="archive_transfer",
        object_id=str(transfer.id),
        department_id=sender.id,
        details={"items": len(items), "kind": transfer.kind},
    )
    db.flush()
    return transfer


def _item(db: Session, settings: Settings, number: int, row: ArchiveHolding) -> InventoryItem:
    """One line of the inventory: its dates are the institution's local days."""
    node = db.get(ClassificationNode, row.node_id)
    assert node is not None
    if row.dossier_id is not None:
        dossier = db.get(Dossier, row.dossier_id)
        assert dossier is not None
        document_ids = dossier_documents(db, dossier)
        title, first = dossier.title, dossier.created_at
        last = dossier.closed_at or dossier.created_at
    else:
        assert row.document_id is not None
        document = db.get(Document, row.document_id)
        assert document is not None
        document_ids = [document.id]
        title, first, last = document.title, document.created_at, document.created_at
    hashes = tuple(
        db.scalars(
            select(DocumentVersion.sha256)
            .where(DocumentVersion.document_id.in_(document_ids))
            .order_by(DocumentVersion.document_id, DocumentVersion.number)
        )
    )
    return InventoryItem(
        number=number,
        item_id=str(row.dossier_id or row.document_id),
        series_code=node.full_code,
        title=title,
        # A record's dates as kept; a closing recorded before the opening (moved by hand)
        # must not make an inventory that cannot be read back.
        first_date=local_date(settings, min(first, last)),
        last_date=local_date(settings, max(first, last)),
        volume=len(document_ids),
        sha256s=hashes,
    )


def dossier_documents(db: Session, dossier: Dossier) -> list[uuid.UUID]:
    """The dossier's documents in order, then its signed index (when sealed)."""
    ids = list(
        db.scalars(
            select(DossierItem.document_id)
            .where(DossierItem.dossier_id == dossier.id)
            .order_by(DossierItem.position)
        )
    )
    if dossier.sealed_index_id is not None:
        ids.append(dossier.sealed_index_id)
    return ids


def send(
    db: Session, services: Services, actor: Actor, transfer_id: uuid.UUID, pin: str | None
) -> ArchiveTransfer:
    """Sign the inventory record and send the inventory document to the archive."""
    transfer = _transfer(db, transfer_id)
    if transfer.sent_at is not None:
        raise Conflict("The inventory was sent already.", code="archive_sent")
    if not (can_author(actor, transfer.department_id) or actor.has_any(Role.archivist)):
        raise PermissionDenied("Its office sends an inventory.", code="not_owning_department")
    archive = db.get(Department, transfer.archive_department_id)
    assert archive is not None
    # Both signatures first: each counts its PIN attempt in a transaction of its own.
    signature, level = signatures.sign_record_as(db, services, actor, transfer.record, pin)
    sent = transfers.send(
        db,
        services,
        actor,
        TransferIn(
            document_id=transfer.inventory_document_id,
            to_department=archive.code,
            purpose="action",
            instructions=INSTRUCTIONS[transfer.kind],
            pin=pin,
        ),
    )
    transfer.signature, transfer.signature_level = signature, level.value
    transfer.transfer_id, transfer.sent_at = sent.id, utcnow()
    record_leaf(
        db,
        "archive.transfer",
        "archive_transfer",
        transfer.id,
        LeafData(
            public={
                "kind": transfer.kind,
                "transfer_id": str(sent.id),
                "record_sha256": hashlib.sha256(transfer.record).hexdigest(),
                "signature_sha256": hashlib.sha256(signature).hexdigest(),
            },
            private={"by": actor.username},
        ),
    )
    record_event(
        db,
        actor,
        "archive.transfer.send",
        object_type="archive_transfer",
        object_id=str(transfer.id),
        department_id=transfer.department_id,
    )
    db.flush()
    return transfer


def _transfer(db: Session, transfer_id: uuid.UUID) -> ArchiveTransfer:
    transfer = db.get(ArchiveTransfer, transfer_id)
    if transfer is None:
        raise NotFound("No such archival transfer.", code="archive_transfer_not_found")
    return transfer


def receive_acknowledged(db: Session, services: Services) -> int:
    """Archival transfers whose transfer the archive acknowledged: their holdings move to
    the central archive, under retention in storage until their disposal date (a primary
    transfer), or to the historical archive (a secondary one). Returns how many transfers
    were completed."""
    pending = db.execute(
        select(ArchiveTransfer, Transfer)
        .join(Transfer, Transfer.id == ArchiveTransfer.transfer_id)
        .where(
            ArchiveTransfer.received_at.is_(None),
            Transfer.status == TransferStatus.acknowledged.value,
        )
        # Several processes may complete transfers at once (pages, the periodic task):
        # each takes its own, so none is received twice.
        .with_for_update(of=ArchiveTransfer, skip_locked=True)
    ).all()
    for archival, _ in pending:
        archival.received_at = utcnow()
        rows = list(
            db.scalars(
                select(ArchiveHolding).where(ArchiveHolding.archive_transfer_id == archival.id)
            )
        )
        phase = PHASE_AFTER[archival.kind]
        for row in rows:
            row.phase = phase
            retain(db, services, row)
        record_leaf(
            db,
            "archive.phase",
            "archive_transfer",
            archival.id,
            LeafData(
                public={"phase": phase, "items": len(rows)},
                private={},
            ),
        )
        # What enters the archive is read for renewal at once: B-LT documents become B-LTA.
        request_run(db, services)
        record_event(
            db,
            None,
            "archive.transfer.receive",
            object_type="archive_transfer",
            object_id=str(archival.id),
            department_id=archival.archive_department_id,
            details={"items": len(rows)},
        )
    db.flush()
    return len(pending)


def object_keys(db: Session, row: ArchiveHolding) -> list[str]:
    """The stored objects of a holding: every version of its documents (and index)."""
    if row.dossier_id is not None:
        dossier = db.get(Dossier, row.dossier_id)
        assert dossier is not None
        ids = dossier_documents(db, dossier)
    else:
        assert row.document_id is not None
        ids = [row.document_id]
    return list(
        db.scalars(select(DocumentVersion.sha256).where(DocumentVersion.document_id.in_(ids)))
    )


def retain(db: Session, services: Services, row: ArchiveHolding) -> None:
    """Forbid deleting the holding's objects: in the central archive, until the day after
    its disposal date (the end of that day where the institution is, rounded up to UTC);
    in the historical archive, where records are kept for good, for
    ``DOCSVC_HISTORICAL_RETENTION_YEARS`` (0: no lock)."""
    store, settings = services.store, services.settings
    if not store.capabilities.retention:
        return
    if row.phase == ArchivePhase.historical.value:
        if settings.historical_retention_years == 0:
            return
        last = add_years(local_date(settings), settings.historical_retention_years)
    elif row.disposal_on is not None:
        last = row.disposal_on
    else:
        return
    until = datetime.combine(last + timedelta(days=1), time.min, tzinfo=UTC)
    if until <= datetime.now(UTC):
        return  # its retention has ended already: nothing to lock
    for key in object_keys(db, row):
        info = store.stat(key)
        if info.retain_until is None or info.retain_until < until:
            store.set_retention(key, until)


def visible_transfer(db: Session, actor: Actor, transfer_id: uuid.UUID) -> ArchiveTransfer:
    """The transfer, for its office, the archive and those who read every department."""
    transfer = _transfer(db, transfer_id)
    if actor.department_id in (transfer.department_id, transfer.archive_department_id) or (
        actor.has_any(Role.archivist, Role.archive_committee, Role.auditor, Role.admin)
    ):
        return transfer
    raise NotFound("No such archival transfer.", code="archive_transfer_not_found")


def not_signed(what: str = "inventory") -> Conflict:
    """A signed record asked for before it is signed (an inventory, a disposal record)."""
    return Conflict(f"The {what} is not signed yet.", code="archive_not_sent")


def signed_part(
    record: bytes | None, signature: bytes | None, part: str, what: str = "inventory"
) -> tuple[bytes, str, str]:
    """A signed record (canonical JSON, ``part`` "record") or its detached CAdES signature
    (any other ``part``), as downloaded: its bytes, media type and file suffix."""
    if part == "record":
        content, media_type, suffix = record, "application/json", "json"
    else:
        content, media_type, suffix = signature, "application/pkcs7-signature", "p7s"
    if content is None:
        raise not_signed(what)
    return content, media_type, suffix


def transfers_of(db: Session, actor: Actor) -> list[ArchiveTransfer]:
    query = select(ArchiveTransfer).order_by(ArchiveTransfer.prepared_at.desc()).limit(200)
    if not actor.has_any(Role.archivist, Role.archive_committee, Role.auditor, Role.admin):
        query = query.where(ArchiveTransfer.department_id == actor.department_id)
    return list(db.scalars(query))


def transfer_out(db: Session, transfer: ArchiveTransfer) -> ArchiveTransferOut:
    codes = {row.id: row.code for row in db.execute(select(Department.id, Department.code))}
    items = len(inventory_from_record(transfer.record).items)
    return ArchiveTransferOut(
        id=transfer.id,
        kind=transfer.kind,
        department=codes.get(transfer.department_id, ""),
        archive_department=codes.get(transfer.archive_department_id, ""),
        inventory_document_id=transfer.inventory_document_id,
        record_sha256=hashlib.sha256(transfer.record).hexdigest(),
        signature_level=transfer.signature_level,
        transfer_id=transfer.transfer_id,
        prepared_at=transfer.prepared_at,
        sent_at=transfer.sent_at,
        received_at=transfer.received_at,
        items=items or 0,
    )
