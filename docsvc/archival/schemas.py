"""What the archive's API and pages show."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field


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
    # What starts its count under the table in force ("closing", "date" or "event"; None
    # when its series has no rule), the event's name, and the day recorded for it.
    trigger: str | None = None
    trigger_event: str = ""
    trigger_on: date | None = None
    trigger_note: str = ""


class TriggerIn(BaseModel):
    """The day a record's count starts: a date, or an event when it has happened."""

    day: date
    note: str = ""


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


class PrepareIn(BaseModel):
    holding_ids: list[uuid.UUID]
    # primary: an office to the central archive; secondary: the central archive to the
    # historical archive.
    kind: Literal["primary", "secondary"] = "primary"


class SendIn(BaseModel):
    pin: str | None = None


class ArchiveTransferOut(BaseModel):
    id: uuid.UUID
    kind: str
    department: str
    archive_department: str
    inventory_document_id: uuid.UUID
    record_sha256: str
    signature_level: str | None
    transfer_id: uuid.UUID | None
    prepared_at: datetime
    sent_at: datetime | None
    received_at: datetime | None
    items: int


class LoanOut(BaseModel):
    id: uuid.UUID
    holding_id: uuid.UUID
    dossier_id: uuid.UUID | None
    document_id: uuid.UUID | None
    title: str
    department: str
    requested_by: str
    requested_at: datetime
    reason: str
    status: str
    decided_by: str | None
    due_on: date | None
    returned_at: datetime | None
    overdue: bool = False


class LoanIn(BaseModel):
    holding_id: uuid.UUID
    reason: str


class LoanDecisionIn(BaseModel):
    approve: bool
    due_on: date | None = None


class LoanExtensionIn(BaseModel):
    due_on: date


class HoldIn(BaseModel):
    holding_id: uuid.UUID | None = None
    series_code: str | None = None
    reason: str
    authority: str
    reference: str = ""


class HoldReleaseIn(BaseModel):
    reason: str


class HoldOut(BaseModel):
    id: uuid.UUID
    holding_id: uuid.UUID | None
    series_code: str | None
    title: str
    reason: str
    authority: str
    reference: str
    placed_by: str
    placed_at: datetime
    released_by: str | None
    released_at: datetime | None
    release_reason: str


class ProposalIn(BaseModel):
    holding_ids: list[uuid.UUID]
    appraisal: str
    # Of the items whose disposition is selection: those kept (the others are destroyed).
    keep_ids: list[uuid.UUID] = []


class DisposalItemOut(BaseModel):
    holding_id: uuid.UUID
    title: str
    series_code: str
    disposition: str
    outcome: str


class ProposalOut(BaseModel):
    id: uuid.UUID
    number: int
    status: str
    appraisal: str
    proposed_by: str
    proposed_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    executed_by: str | None
    executed_at: datetime | None
    record_sha256: str | None
    items: list[DisposalItemOut]


class ExportOut(BaseModel):
    """An archival package asked for: its job's progress, and where to fetch it when done."""

    id: uuid.UUID
    dossier_id: uuid.UUID | None
    scope: str
    scope_id: str
    label: str
    status: str
    format: str
    done: int
    total: int
    size: int
    error: str
    job_id: uuid.UUID | None
    created_at: datetime
    finished_at: datetime | None
    download: str | None


class ImportOut(BaseModel):
    """An archival package sent for import: its job's progress, its verdict here, and the
    dossier it became."""

    id: uuid.UUID
    status: str
    format: str
    filename: str
    package_sha256: str
    package_size: int
    done: int
    total: int
    error: str
    verdict: str
    problems: list[str]
    doubts: list[str]
    checked: list[str]
    dossier_id: uuid.UUID | None
    dossier_ids: list[uuid.UUID]
    origin_institution: str
    origin_identifier: str
    job_id: uuid.UUID | None
    created_at: datetime
    finished_at: datetime | None


class ImportedVersionOut(BaseModel):
    number: int
    sha256: str
    origin_verdict: str
    verdict: str


class ImportedDocumentOut(BaseModel):
    document_id: uuid.UUID
    origin_id: str
    origin_verification_code: str | None
    versions: list[ImportedVersionOut]


class OriginEvidenceOut(BaseModel):
    """The origin's proofs checked again now, offline."""

    verified: bool
    leaves: int
    checkpoint_size: int
    versions_proven: int
    versions: int
    problems: list[str]
    register_key: str


class ImportDetailOut(ImportOut):
    documents: list[ImportedDocumentOut]
    origin_evidence: OriginEvidenceOut | None


class ScopeExportIn(BaseModel):
    """What an archival package is of: ``dossier`` (its id), ``case`` (its id or a
    registry number in it), ``series`` (its full code) or ``official`` (a username)."""

    scope: Literal["dossier", "case", "series", "official"]
    id: str = Field(min_length=1, max_length=300)
