"""Signing lines: who signs a document or dossier, in which order, and how far it got.

A line has ordered steps; a step has one or more signers, each a person or a position,
and needs either all of them or any one. Stand-ins sign for an official during a range of
dates. Every transition is also an audit event; these rows hold the current state.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from docsvc.db.base import Base, UTCDateTime, utcnow


class LineStatus(StrEnum):
    draft = "draft"
    in_signature = "in_signature"
    signed = "signed"
    rejected = "rejected"
    cancelled = "cancelled"


class StepMode(StrEnum):
    all = "all"  # every signer of the step signs
    any = "any"  # one signer of the group is enough


class SignerStatus(StrEnum):
    pending = "pending"
    signed = "signed"
    not_needed = "not_needed"  # another member of an "any" group signed


class SigningLine(Base):
    __tablename__ = "signing_lines"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    title: Mapped[str] = mapped_column(String(500))
    document_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("documents.id"), index=True, default=None
    )
    dossier_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("dossiers.id"), index=True, default=None
    )
    requester_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("departments.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True, default=LineStatus.draft.value)
    # 1-based position of the step now waiting; 0 while a draft.
    current_step: Mapped[int] = mapped_column(Integer, default=0)
    level: Mapped[str | None] = mapped_column(String(8), default=None)
    certify_first: Mapped[bool] = mapped_column(default=False)
    # Bumped at each resubmission, so that an old rejection or signature is not mistaken
    # for one of the current round.
    round: Mapped[int] = mapped_column(Integer, default=1)
    rejection_reason: Mapped[str | None] = mapped_column(Text, default=None)
    rejected_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class SigningStep(Base):
    __tablename__ = "signing_steps"
    __table_args__ = (UniqueConstraint("line_id", "position"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    line_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("signing_lines.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    mode: Mapped[str] = mapped_column(String(8), default=StepMode.all.value)
    # prepared, reviewed, approved, or the institution's own word.
    role_label: Mapped[str] = mapped_column(String(64), default="approved")
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class StepSigner(Base):
    __tablename__ = "step_signers"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    step_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("signing_steps.id"), index=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id"), index=True, default=None
    )
    position_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("positions.id"), index=True, default=None
    )
    status: Mapped[str] = mapped_column(String(16), default=SignerStatus.pending.value)
    signed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    # The official the signer stood in for, when it was a stand-in.
    on_behalf_of_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class StandIn(Base):
    """``substitute`` signs for ``principal`` from ``starts_on`` to ``ends_on`` inclusive."""

    __tablename__ = "stand_ins"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    principal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    substitute_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class InboxItem(Base):
    """An in-app notification: a line awaits the user, or came back to its requester, or
    a transfer to the user's department is nearly due (``transfer_id``, no line)."""

    __tablename__ = "inbox_items"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    line_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("signing_lines.id"), index=True, default=None
    )
    transfer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("transfers.id"), index=True, default=None
    )
    kind: Mapped[str] = mapped_column(String(32))
    # What the notice says, as parameters of its kind (the line's title, who returned it and
    # why, whether the reader stands in): worded in the reader's language when it is read
    # (``docsvc.locale.labels.inbox_message``). ``message`` holds the words of notices
    # made before there were parameters, and is empty since.
    params: Mapped[dict[str, str] | None] = mapped_column(JSON, default=None)
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # The e-mail copy, when SMTP is configured: None (not to be mailed), pending, sent,
    # no_address or failed. The outbox sender works through the pending ones.
    email_status: Mapped[str | None] = mapped_column(String(16), default=None, index=True)
    email_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    email_error: Mapped[str | None] = mapped_column(Text, default=None)
