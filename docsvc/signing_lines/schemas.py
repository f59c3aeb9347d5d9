"""Signing-line API shapes."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field, model_validator

from docsvc.config import SignatureLevel
from docsvc.models.signing_lines import LineStatus, StepMode
from docsvc.query_types import Moment


class SignerIn(BaseModel):
    """A person (``user``: username) or a position (``position``: "DEPT:CODE")."""

    user: str | None = None
    position: str | None = None

    @model_validator(mode="after")
    def _one_of(self) -> SignerIn:
        if (self.user is None) == (self.position is None):
            raise ValueError("give either user or position")
        return self


class StepIn(BaseModel):
    signers: list[SignerIn] = Field(min_length=1, max_length=50)
    mode: StepMode = StepMode.all
    role_label: str = Field(default="approved", min_length=1, max_length=64)
    deadline: Moment | None = None


class LineIn(BaseModel):
    title: str = Field(default="", max_length=500)
    document_id: uuid.UUID | None = None
    dossier_id: uuid.UUID | None = None
    steps: list[StepIn] = Field(min_length=1, max_length=20)
    level: SignatureLevel | None = None
    certify_first: bool = False
    submit: bool = True

    @model_validator(mode="after")
    def _one_target(self) -> LineIn:
        if (self.document_id is None) == (self.dossier_id is None):
            raise ValueError("give either document_id or dossier_id")
        return self


class SignerOut(BaseModel):
    id: uuid.UUID
    user: str | None
    position: str | None
    status: str
    signed_by: str | None
    on_behalf_of: str | None
    signed_at: datetime | None


class StepOut(BaseModel):
    position: int
    mode: StepMode
    role_label: str
    deadline: datetime | None
    completed_at: datetime | None
    signers: list[SignerOut]


class LineOut(BaseModel):
    id: uuid.UUID
    title: str
    document_id: uuid.UUID | None
    dossier_id: uuid.UUID | None
    requester: str
    status: LineStatus
    current_step: int
    round: int
    level: str | None
    certify_first: bool
    rejection_reason: str | None
    created_at: datetime
    submitted_at: datetime | None
    completed_at: datetime | None
    steps: list[StepOut]


class LineActionIn(BaseModel):
    pin: str | None = Field(default=None, min_length=1, max_length=128)


class SealIn(BaseModel):
    pin: str = Field(min_length=1, max_length=128)


class RejectIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class StandInIn(BaseModel):
    substitute: str
    starts_on: date
    ends_on: date

    @model_validator(mode="after")
    def _ordered(self) -> StandInIn:
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on is before starts_on")
        return self


class StandInOut(BaseModel):
    id: uuid.UUID
    principal: str
    substitute: str
    starts_on: date
    ends_on: date


class InboxEntry(BaseModel):
    line: LineOut
    deadline: datetime | None
    overdue: bool
