"""The archive's records: the classification scheme's versions and nodes, the retention
tables with their signed approval steps, and the holdings (a dossier or a document filed
under a series, with its archive phase and dates).

The rules themselves (what a valid scheme is, how a retention table moves between states,
which dates a rule gives) live in the framework-free ``archive`` library; these rows keep
what was decided, immutably where the law asks for it: a scheme version and a table's rules
are canonical JSON kept byte for byte, and a new version never rewrites the old one."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from docsvc.db.base import Base, UTCDateTime, utcnow


class ClassificationVersion(Base):
    """One version of the classification scheme (cuadro de clasificación documental)."""

    __tablename__ = "classification_versions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    # The whole scheme as canonical JSON (archive.classification.scheme_to_json).
    scheme: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ClassificationNode(Base):
    """A node of one scheme version. Records are filed under a node of the version in force
    when they were filed, so a later version never moves them."""

    __tablename__ = "classification_nodes"
    __table_args__ = (UniqueConstraint("version_id", "code"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    version_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("classification_versions.id"), index=True
    )
    code: Mapped[str] = mapped_column(String(32))
    full_code: Mapped[str] = mapped_column(String(300))
    name: Mapped[str] = mapped_column(String(300))
    level: Mapped[str] = mapped_column(String(16))
    parent_code: Mapped[str | None] = mapped_column(String(32), default=None)
    # Tipos documentales allowed, joined by ";" (empty: any).
    document_types: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer)


class RetentionTable(Base):
    """A version of the retention table (tabla de retención documental), for one scheme
    version: drafted, approved by the archive committee, put in force, superseded."""

    __tablename__ = "retention_tables"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    classification_version_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("classification_versions.id"), index=True
    )
    state: Mapped[str] = mapped_column(String(16), index=True)
    # The rules as canonical JSON (archive.retention.rules_to_json): what was approved.
    rules: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    in_force_from: Mapped[date | None] = mapped_column(Date, default=None)


class RetentionStep(Base):
    """A retention table's change of state, signed by whoever made it: a record (canonical
    JSON naming the table, its rules' hash and the new state) and its CAdES signature."""

    __tablename__ = "retention_table_steps"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    table_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("retention_tables.id"), index=True)
    state: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    record: Mapped[bytes] = mapped_column(LargeBinary)
    signature: Mapped[bytes] = mapped_column(LargeBinary)
    signature_level: Mapped[str] = mapped_column(String(8))


class ArchiveTransfer(Base):
    """An archival transfer (transferencia primaria or secundaria): the inventory of what
    an office hands to the archive, as a document (the PDF people read) and a record
    (canonical JSON, archive.inventory) signed by whoever sends it; it travels as an ordinary
    transfer of that document, and the archive's signed receipt completes it."""

    __tablename__ = "archive_transfers"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(16))  # primary | secondary
    department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("departments.id"), index=True)
    archive_department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("departments.id"))
    inventory_document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id"))
    record: Mapped[bytes] = mapped_column(LargeBinary)
    signature: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    signature_level: Mapped[str | None] = mapped_column(String(8), default=None)
    transfer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("transfers.id"), index=True, default=None
    )
    prepared_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    prepared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class ArchivePhase(StrEnum):
    office = "office"  # archivo de gestión
    central = "central"  # archivo central
    historical = "historical"  # archivo histórico
    disposed = "disposed"  # eliminated: a metadata stub remains


class ArchiveHolding(Base):
    """A dossier, or a document outside any dossier, filed under a series or subseries:
    its phase, and the dates its retention rule gives once its trigger has happened."""

    __tablename__ = "archive_holdings"
    __table_args__ = (
        # What is due: "central phase, disposal date passed" and "office phase, transfer
        # date passed" are range scans, whatever the number of holdings.
        Index("ix_archive_holdings_disposal", "phase", "disposal_on"),
        Index("ix_archive_holdings_transfer", "phase", "central_on"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    dossier_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("dossiers.id"), unique=True, default=None
    )
    document_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("documents.id"), unique=True, default=None
    )
    node_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("classification_nodes.id"), index=True)
    department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("departments.id"), index=True)
    phase: Mapped[str] = mapped_column(String(16), default=ArchivePhase.office.value)
    # The trigger's date (the dossier's closing, a recorded date or event); None until then.
    starts_on: Mapped[date | None] = mapped_column(Date, default=None)
    # For a series counted from a date or an event (a contract's signature, its end): the
    # day its office or an archivist recorded, and what it was. A document outside any
    # dossier counted from its closing records its closing day here too.
    trigger_on: Mapped[date | None] = mapped_column(Date, default=None)
    trigger_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    # What the retention table in force gave when the trigger happened.
    table_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("retention_tables.id"), default=None
    )
    central_on: Mapped[date | None] = mapped_column(Date, default=None)
    disposal_on: Mapped[date | None] = mapped_column(Date, default=None)
    disposition: Mapped[str | None] = mapped_column(String(16), default=None)
    on_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    # The archival transfer it is listed in, from its inventory until the archive receives it.
    archive_transfer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("archive_transfers.id"), index=True, default=None
    )
    filed_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LoanStatus(StrEnum):
    requested = "requested"
    lent = "lent"
    returned = "returned"
    refused = "refused"


class ArchiveLoan(Base):
    """A loan (préstamo) of an archived record to an office: asked for, approved by an
    archivist with a return date, read by the borrowing office until it is returned."""

    __tablename__ = "archive_loans"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    holding_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("archive_holdings.id"), index=True)
    department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("departments.id"), index=True)
    requested_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=LoanStatus.requested.value, index=True)
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    due_on: Mapped[date | None] = mapped_column(Date, default=None)
    # The end of the return day where the institution is: the borrowing office reads the
    # record until then, and no longer, even if the record has not come back.
    lent_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class LegalHold(Base):
    """A legal hold (retención legal): on a holding, or on every holding of a series; it
    suspends disposal and sets the storage's legal hold on every object under it. Whoever
    releases it is another person than whoever placed it."""

    __tablename__ = "legal_holds"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    holding_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("archive_holdings.id"), index=True, default=None
    )
    # A series' full code (every version's nodes with that code are held).
    series_code: Mapped[str | None] = mapped_column(String(300), default=None)
    reason: Mapped[str] = mapped_column(Text)
    authority: Mapped[str] = mapped_column(String(300))
    reference: Mapped[str] = mapped_column(String(300), default="")
    placed_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    released_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    release_reason: Mapped[str] = mapped_column(Text, default="")


class DisposalStatus(StrEnum):
    proposed = "proposed"  # listed by the archivist, with her appraisal
    approved = "approved"  # approved by the archive committee
    executed = "executed"  # carried out; its signed record (acta) is kept


class DisposalProposal(Base):
    """A supervised disposal: what the archivist appraised among the holdings whose
    retention ended, the committee's approval, and, once executed, the signed disposal
    record (acta de eliminación) naming what was destroyed under which table."""

    __tablename__ = "disposal_proposals"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    status: Mapped[str] = mapped_column(String(16), default=DisposalStatus.proposed.value)
    appraisal: Mapped[str] = mapped_column(Text, default="")
    proposed_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    approval_record: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    approval_signature: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    executed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    executed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # The acta: canonical JSON listing every item and what was done, and its signature.
    record: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    signature: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)


class DisposalItem(Base):
    __tablename__ = "disposal_items"
    __table_args__ = (UniqueConstraint("proposal_id", "holding_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    proposal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("disposal_proposals.id"), index=True)
    holding_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("archive_holdings.id"), index=True)
    disposition: Mapped[str] = mapped_column(String(16))
    # What was done: destroyed, moved to the historical archive, kept (not selected).
    outcome: Mapped[str] = mapped_column(String(16), default="")
