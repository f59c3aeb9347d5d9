"""Register API shapes."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

DirectionName = Literal["incoming", "outgoing"]


class EntryIn(BaseModel):
    """A document or a dossier to register, as incoming or outgoing."""

    model_config = ConfigDict(extra="forbid")

    direction: DirectionName
    subject: str = Field(min_length=1, max_length=500)
    # The sender of an incoming document, the addressee of an outgoing one.
    counterpart: str = Field(min_length=1, max_length=300)
    document_date: date | None = None
    document_id: uuid.UUID | None = None
    dossier_id: uuid.UUID | None = None
    # Administrators may register for another department; others register for their own.
    department_id: uuid.UUID | None = None
    # Join an existing case; by default the document's case, or a new one.
    case_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _one_record(self) -> EntryIn:
        if (self.document_id is None) == (self.dossier_id is None):
            raise ValueError("give exactly one of document_id and dossier_id")
        if not self.subject.strip() or not self.counterpart.strip():
            raise ValueError("subject and counterpart must not be blank")
        return self


class AnnulIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=5, max_length=2000)


class EntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    number: str
    department_id: uuid.UUID
    direction: DirectionName
    year: int
    sequence: int
    subject: str
    counterpart: str
    document_date: date | None
    document_id: uuid.UUID | None
    dossier_id: uuid.UUID | None
    case_id: uuid.UUID
    registered_by: uuid.UUID
    registered_at: datetime
    annulled: bool
    annulled_at: datetime | None
    annulment_reason: str | None


class EntryPage(BaseModel):
    items: list[EntryOut]
    total: int
    limit: int
    offset: int


class InclusionProofOut(BaseModel):
    index: int
    size: int
    leaf_hash: str
    proof: list[str]


class ConsistencyProofOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    first: int = Field(alias="from")
    second: int = Field(alias="to")
    proof: list[str]


class LeafOut(BaseModel):
    index: int
    leaf_hash: str
    leaf: dict[str, Any]
