"""Batch signing API shapes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from docsvc.config import SignatureLevel

MAX_ITEMS = 500


class BatchItemIn(BaseModel):
    """Exactly one target: a document, a dossier (every document in it) or a signing line
    awaiting the caller."""

    document_id: uuid.UUID | None = None
    dossier_id: uuid.UUID | None = None
    line_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _one_target(self) -> BatchItemIn:
        targets = [t for t in (self.document_id, self.dossier_id, self.line_id) if t]
        if len(targets) != 1:
            raise ValueError("each item names exactly one of document_id, dossier_id, line_id")
        return self


class BatchIn(BaseModel):
    items: list[BatchItemIn] = Field(min_length=1, max_length=MAX_ITEMS)
    pin: str = Field(min_length=1, max_length=128)
    # Without one, each document's default level (signing lines keep their own).
    level: SignatureLevel | None = None
    # The visible stamp, as for a single signature; signing lines keep theirs.
    visible: bool = True


class BatchTarget(BaseModel):
    kind: Literal["document", "dossier", "line"]
    id: uuid.UUID


class BatchItemOut(BaseModel):
    position: int
    target: BatchTarget
    status: str
    error_code: str | None
    error: str | None
    # "document_id:version" for each version the item made.
    versions: list[str]


class BatchOut(BaseModel):
    id: uuid.UUID
    # queued, running, finished, failed, or interrupted (resume it with the PIN)
    status: str
    level: str | None
    visible: bool
    total: int
    done: int
    failed: int
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    items: list[BatchItemOut]


class ResumeIn(BaseModel):
    pin: str = Field(min_length=1, max_length=128)


class BatchCreated(BaseModel):
    id: uuid.UUID
    status: str
    total: int
