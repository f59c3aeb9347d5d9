"""Transfers (traslados) between departments, and their receipts (acuses de recibo). Each is
a record signed by the official who made it: CAdES over the record's canonical JSON."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Integer, LargeBinary, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from docsvc.db.base import Base, UTCDateTime, utcnow


class TransferPurpose(StrEnum):
    action = "action"  # para trámite
    information = "information"  # para conocimiento
    signature = "signature"  # para firma
    reply = "reply"  # para respuesta


class TransferStatus(StrEnum):
    sent = "sent"
    acknowledged = "acknowledged"  # the receiving department signed its receipt
    returned = "returned"  # the receiving department sent it back, with a reason


class Transfer(Base):
    __tablename__ = "transfers"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    # The case the transfer belongs to: inherited from what it forwards or answers.
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    document_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("documents.id"), index=True, default=None
    )
    dossier_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("dossiers.id"), index=True, default=None
    )
    from_department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("departments.id"), index=True)
    from_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    to_department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("departments.id"), index=True)
    to_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    purpose: Mapped[str] = mapped_column(String(16))
    instructions: Mapped[str] = mapped_column(Text, default="")
    deadline_days: Mapped[int | None] = mapped_column(Integer, default=None)
    due_on: Mapped[date | None] = mapped_column(Date, default=None, index=True)
    status: Mapped[str] = mapped_column(String(16), default=TransferStatus.sent.value)
    forwarded_from_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("transfers.id"), default=None
    )
    reply_to_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("transfers.id"), index=True, default=None
    )
    # The signed record: RFC 8785 JSON, and the detached CAdES signature over it.
    record: Mapped[bytes] = mapped_column(LargeBinary)
    signature: Mapped[bytes] = mapped_column(LargeBinary)
    signature_level: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the receiving department was reminded of the coming deadline (once per transfer).
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class Receipt(Base):
    """The receiving department's signed answer to a transfer: received, or returned."""

    __tablename__ = "transfer_receipts"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    transfer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("transfers.id"), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # acknowledged | returned
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("departments.id"))
    record: Mapped[bytes] = mapped_column(LargeBinary)
    signature: Mapped[bytes] = mapped_column(LargeBinary)
    signature_level: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
