"""Dossier API shapes."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

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


class SealStatus(StrEnum):
    """Where the dossier's seal stands (None in ``DossierOut``: never asked for)."""

    queued = "queued"  # its job waits for a runner
    running = "running"  # a runner makes and signs the index now
    # No runner could take the official's key, or the job failed: an official of the
    # owning department seals it with her PIN (``POST /api/v1/dossiers/{id}/seal``).
    needs_pin = "needs_pin"
    sealed = "sealed"  # the last seal asked for is recorded


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
    # The seal asked for last: its state, and the job that makes or made it (``GET
    # /api/v1/jobs/{id}`` for its owner). While it is not sealed, the documents cannot change.
    seal_status: SealStatus | None = None
    seal_job_id: uuid.UUID | None = None
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
