"""What the archive's API and pages show."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel


class NodeOut(BaseModel):
    code: str
    full_code: str
    name: str
    level: str
    parent: str | None
    document_types: list[str]


class SchemeVersionOut(BaseModel):
    id: uuid.UUID
    number: int
    sha256: str
    note: str
    created_by: str
    created_at: datetime
    nodes: list[NodeOut]


class RuleOut(BaseModel):
    series_code: str
    series_name: str
    office_years: int
    central_years: int
    disposition: str
    trigger: str
    trigger_event: str
    legal_basis: str
    procedure: str


class StepOut(BaseModel):
    state: str
    by: str
    at: datetime
    signature_level: str
    record_sha256: str


class TableOut(BaseModel):
    id: uuid.UUID
    number: int
    state: str
    scheme_version: int
    sha256: str
    note: str
    created_by: str
    created_at: datetime
    in_force_from: date | None
    rules: list[RuleOut]
    steps: list[StepOut]


class HoldingOut(BaseModel):
    id: uuid.UUID
    dossier_id: uuid.UUID | None
    document_id: uuid.UUID | None
    title: str
    series_code: str
    series_name: str
    department: str
    phase: str
    starts_on: date | None
    central_on: date | None
    disposal_on: date | None
    disposition: str | None
    table_number: int | None
    on_hold: bool


class ImportIn(BaseModel):
    """A scheme or a table's rules, as the text of a CSV or JSON file."""

    format: str = "csv"
    content: str
    note: str = ""


class StepIn(BaseModel):
    state: str
    pin: str | None = None
    in_force_from: date | None = None


class FileIn(BaseModel):
    series_code: str
    dossier_id: uuid.UUID | None = None
    document_id: uuid.UUID | None = None
