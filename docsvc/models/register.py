"""The electronic register (registro de entrada y salida): numbered entries per department,
direction and year, never deleted or renumbered; an annulment keeps the entry and its
number, with the reason."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from docsvc.db.base import Base, UTCDateTime, utcnow


class Direction(StrEnum):
    incoming = "incoming"  # registro de entrada: E
    outgoing = "outgoing"  # registro de salida: S


DIRECTION_LETTERS = {Direction.incoming: "E", Direction.outgoing: "S"}


class RegisterCounter(Base):
    """The last number given per department, direction and year. Incremented in the same
    transaction that writes the entry, so a rolled-back entry gives its number back."""

    __tablename__ = "register_counters"

    department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("departments.id"), primary_key=True)
    direction: Mapped[str] = mapped_column(String(16), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class RegisterEntry(Base):
    __tablename__ = "register_entries"
    __table_args__ = (UniqueConstraint("department_id", "direction", "year", "sequence"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("departments.id"), index=True)
    direction: Mapped[str] = mapped_column(String(16))
    year: Mapped[int] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer)
    # e.g. DAJ-E-2026-000042: department code, E or S, year, sequence
    number: Mapped[str] = mapped_column(String(64), unique=True)
    subject: Mapped[str] = mapped_column(String(500))
    # Who sent it (incoming) or to whom it goes (outgoing), as written on the document.
    counterpart: Mapped[str] = mapped_column(String(300))
    document_date: Mapped[date | None] = mapped_column(Date, default=None)
    document_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("documents.id"), index=True, default=None
    )
    dossier_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("dossiers.id"), index=True, default=None
    )
    # The case (expediente de trámite) the entry opens or joins; transfers carry it on.
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    registered_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    annulled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    annulled_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    annulment_reason: Mapped[str | None] = mapped_column(Text, default=None)


class LogState(Base):
    """The transparency log's size: one row, incremented in the transaction that appends,
    so that leaf indexes are given out in order with no gap (as registry numbers are)."""

    __tablename__ = "register_log_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger, default=0)


class LogLeaf(Base):
    """One register event as a leaf of the transparency log (RFC 9162)."""

    __tablename__ = "register_log_leaves"

    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    kind: Mapped[str] = mapped_column(String(40), index=True)
    # What the event concerns, to find a case's leaves: e.g. ("document", id).
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(64))
    # The leaf itself: RFC 8785 canonical JSON, public; confidential details appear in it
    # only as the sha256 of ``details``.
    leaf: Mapped[bytes] = mapped_column(LargeBinary)
    # The confidential details with their salt, as canonical JSON; shown after login.
    details: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_register_log_leaves_object", "object_type", "object_id"),)


class LogNode(Base):
    """The hash of every perfect subtree (2**level leaves, aligned) once it is complete:
    level 0 holds the leaf hashes. Any proof is a fold of O(log n) of these."""

    __tablename__ = "register_log_nodes"

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class RegisterCheckpoint(Base):
    """A signed checkpoint of the log (C2SP signed note), kept so that any earlier one can
    be shown again and checked against the log as it is now."""

    __tablename__ = "register_checkpoints"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    size: Mapped[int] = mapped_column(BigInteger, index=True)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)
    timestamped: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
