"""Dossier API shapes."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from docsvc.models import Confidentiality, DossierStatus


class DossierIn(BaseModel):
    title: str = Field(min_length=1, max_length=500)
    subject: str = Field(default="", max_length=10_000)
    confidentiality: Confidentiality = Confidentiality.internal


class DossierItemIn(BaseModel):
    document_id: uuid.UUID


class DossierMoveIn(BaseModel):
    position: int = Field(ge=1, le=100_000)


class DossierItemOut(BaseModel):
    position: int
    document_id: uuid.UUID
    title: str
    doc_type: str
    latest_version: int
    sha256: str
    added_at: datetime


class DossierOut(BaseModel):
    id: uuid.UUID
    title: str
    subject: str
    confidentiality: Confidentiality
    status: DossierStatus
    owning_department: str
    created_at: datetime
    # The signed index document that seals the composition (its versions are the index
    # versions), and when it was last sealed; None while unsealed.
    sealed_index_id: uuid.UUID | None = None
    sealed_at: datetime | None = None
    items: list[DossierItemOut]


class DossierSummary(BaseModel):
    id: uuid.UUID
    title: str
    confidentiality: Confidentiality
    status: DossierStatus
    owning_department: str
    created_at: datetime
    item_count: int


class DossierPage(BaseModel):
    total: int
    items: list[DossierSummary]
