"""Document API shapes."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from docsvc.models import Confidentiality, DocumentType
from docsvc.query_types import Moment, Offset


class DocumentMetadataIn(BaseModel):
    doc_type: DocumentType
    title: str = Field(min_length=1, max_length=500)
    subject: str = Field(default="", max_length=10_000)
    confidentiality: Confidentiality = Confidentiality.internal


class VersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: int
    sha256: str
    size: int
    pages: int
    filename: str
    media_type: str
    reason: str
    # None for a version the service made itself (an archive timestamp's renewal).
    author_id: uuid.UUID | None
    created_at: datetime


class DocumentOut(BaseModel):
    id: uuid.UUID
    doc_type: DocumentType
    title: str
    subject: str
    confidentiality: Confidentiality
    owning_department: str
    created_by: str
    created_at: datetime
    latest_version: VersionOut
    versions: list[VersionOut] | None = None


class DocumentPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[DocumentOut]


class DocumentFilter(BaseModel):
    doc_type: DocumentType | None = None
    confidentiality: Confidentiality | None = None
    department: str | None = Field(default=None, max_length=32, description="department code")
    q: str | None = Field(default=None, max_length=200, description="text in title or subject")
    created_from: Moment | None = None
    created_to: Moment | None = None
    limit: int = Field(default=50, ge=1, le=500)
    offset: Offset = 0
