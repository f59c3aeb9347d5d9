"""Transfer API shapes."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

PurposeName = Literal["action", "information", "signature", "reply"]


class TransferIn(BaseModel):
    """Send a document or a dossier to another department (optionally to one official)."""

    model_config = ConfigDict(extra="forbid")

    document_id: uuid.UUID | None = None
    dossier_id: uuid.UUID | None = None
    to_department: str = Field(min_length=1, max_length=32, description="department code")
    to_user: str | None = Field(default=None, max_length=100, description="username")
    purpose: PurposeName
    instructions: str = Field(default="", max_length=10_000)
    deadline_days: int | None = Field(default=None, ge=1, le=365)
    # A forward passes on a transfer received; a reply answers one.
    forwarded_from: uuid.UUID | None = None
    reply_to: uuid.UUID | None = None
    case_id: uuid.UUID | None = None
    pin: str | None = Field(default=None, min_length=1, max_length=128)

    @model_validator(mode="after")
    def _one_record(self) -> TransferIn:
        if (self.document_id is None) == (self.dossier_id is None):
            raise ValueError("give exactly one of document_id and dossier_id")
        if self.forwarded_from is not None and self.reply_to is not None:
            raise ValueError("a transfer forwards or replies, not both")
        return self


class ReceiptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pin: str | None = Field(default=None, min_length=1, max_length=128)


class ReturnIn(ReceiptIn):
    reason: str = Field(min_length=5, max_length=2000)


class ReceiptOut(BaseModel):
    id: uuid.UUID
    kind: str
    reason: str | None
    by: str
    department: str
    signature_level: str
    created_at: datetime


class TransferOut(BaseModel):
    id: uuid.UUID
    # What was sent: the document's or dossier's title (the receiving department may read
    # it), and the document's registry numbers.
    title: str | None = None
    registry_numbers: list[str] = []
    case_id: uuid.UUID
    document_id: uuid.UUID | None
    dossier_id: uuid.UUID | None
    from_department: str
    from_user: str
    to_department: str
    to_user: str | None
    purpose: str
    instructions: str
    deadline_days: int | None
    due_on: date | None
    status: str
    forwarded_from: uuid.UUID | None
    reply_to: uuid.UUID | None
    signature_level: str
    created_at: datetime
    receipt: ReceiptOut | None
    # Open: awaiting an answer (a reply, or the signature asked for) by its due date.
    open: bool
    overdue: bool
    # Answered by a reply; for a transfer "for signature", signed by the receiving department.
    answered: bool = False
    signature_made: bool = False


class TransferPage(BaseModel):
    items: list[TransferOut]
    total: int


class Deadlines(BaseModel):
    department: str
    today: date
    overdue: list[TransferOut]
    due_soon: list[TransferOut]
