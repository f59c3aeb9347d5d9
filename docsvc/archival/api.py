"""Archive routes under /api/v1/archive: the classification scheme's versions (import and
export as CSV or JSON), the retention tables and their signed steps, filing, and what is due
for transfer."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse

from docsvc.archival import (
    archive_transfers,
    classification,
    disposals,
    export_jobs,
    holdings,
    holds,
    import_jobs,
    loans,
    retention_tables,
)
from docsvc.archival.imports import origin_evidence
from docsvc.archival.schemas import (
    ArchiveTransferOut,
    ExportOut,
    FileIn,
    HoldIn,
    HoldingOut,
    HoldOut,
    HoldReleaseIn,
    ImportDetailOut,
    ImportedDocumentOut,
    ImportedVersionOut,
    ImportIn,
    ImportOut,
    LoanDecisionIn,
    LoanExtensionIn,
    LoanIn,
    LoanOut,
    OriginEvidenceOut,
    PrepareIn,
    ProposalIn,
    ProposalOut,
    SchemeVersionOut,
    ScopeExportIn,
    SendIn,
    StepIn,
    TableOut,
    TriggerIn,
)
from docsvc.attachments import attachment, streamed_zip
from docsvc.deps import ActorDep, DbSession, ServicesDep
from docsvc.documents.uploads import receive_multipart
from docsvc.dossiers.service import readable_dossier
from docsvc.errors import InvalidInput
from docsvc.locale import translator
from docsvc.models import ArchiveExport, ArchiveImport, ExportStatus, ImportStatus

router = APIRouter(prefix="/api/v1/archive", tags=["archive"])


@router.post("/classification", status_code=201)
def import_scheme(body: ImportIn, actor: ActorDep, db: DbSession) -> SchemeVersionOut:
    """A new version of the classification scheme (archivists)."""
    return classification.import_scheme(
        db, actor, body.content.encode("utf-8"), body.format, body.note
    )


@router.get("/classification")
def latest_scheme(actor: ActorDep, db: DbSession) -> SchemeVersionOut:
    del actor  # every signed-in reader may see the scheme
    return classification.version_out(db, classification.version_by_number(db, None))


@router.get("/classification/{number}")
def scheme_version(number: int, actor: ActorDep, db: DbSession) -> SchemeVersionOut:
    del actor
    return classification.version_out(db, classification.version_by_number(db, number))


@router.get("/classification/{number}/export")
def export_scheme(
    number: int,
    actor: ActorDep,
    db: DbSession,
    format: Annotated[str, Query(pattern="^(csv|json)$")] = "csv",
) -> Response:
    del actor
    content, media_type = classification.export_scheme(
        classification.version_by_number(db, number), format
    )
    name = f"cuadro-de-clasificacion-v{number}.{format}"
    return attachment(content, media_type, name)


@router.post("/retention-tables", status_code=201)
def draft_table(body: ImportIn, actor: ActorDep, db: DbSession) -> TableOut:
    """A draft retention table for the latest scheme (archivists)."""
    return retention_tables.draft_table(
        db, actor, body.content.encode("utf-8"), body.format, body.note
    )


@router.get("/retention-tables")
def list_tables(actor: ActorDep, db: DbSession) -> list[TableOut]:
    del actor
    return [retention_tables.table_out(db, t) for t in retention_tables.tables(db)]


@router.get("/retention-tables/{table_id}")
def get_table(table_id: uuid.UUID, actor: ActorDep, db: DbSession) -> TableOut:
    del actor
    return retention_tables.table_out(db, retention_tables.table_by_id(db, table_id))


@router.get("/retention-tables/{table_id}/export")
def export_table(
    table_id: uuid.UUID,
    actor: ActorDep,
    db: DbSession,
    format: Annotated[str, Query(pattern="^(csv|json)$")] = "csv",
) -> Response:
    del actor
    table = retention_tables.table_by_id(db, table_id)
    content, media_type = retention_tables.export_rules(table, format)
    name = f"tabla-de-retencion-v{table.number}.{format}"
    return attachment(content, media_type, name)


@router.post("/retention-tables/{table_id}/steps")
def advance_table(
    table_id: uuid.UUID, body: StepIn, actor: ActorDep, db: DbSession, services: ServicesDep
) -> TableOut:
    """Approve (the archive committee) or put in force (an archivist or the committee),
    signed with the PIN."""
    return retention_tables.advance(
        db, services, actor, table_id, body.state, body.pin, body.in_force_from
    )


@router.post("/holdings", status_code=201)
def file_record(body: FileIn, actor: ActorDep, db: DbSession) -> HoldingOut:
    """File a dossier, or a document outside any dossier, under a series."""
    return holdings.file_record(
        db, actor, body.series_code, dossier_id=body.dossier_id, document_id=body.document_id
    )


@router.get("/due-for-transfer")
def due_for_transfer(
    actor: ActorDep,
    db: DbSession,
    services: ServicesDep,
    department: Annotated[str | None, Query(max_length=32)] = None,
) -> list[HoldingOut]:
    """What is due for transfer to the central archive today, per office."""
    return holdings.due_for_transfer(db, actor, services.settings, department)


@router.get("/due-for-secondary")
def due_for_secondary(actor: ActorDep, db: DbSession, services: ServicesDep) -> list[HoldingOut]:
    """What the central archive hands to the historical archive: records an executed
    disposal kept for good, not yet in a secondary transfer's inventory."""
    archive_transfers.receive_acknowledged(db, services)
    return archive_transfers.due_for_secondary(db, actor)


@router.post("/transfers", status_code=201)
def prepare_transfer(
    body: PrepareIn, actor: ActorDep, db: DbSession, services: ServicesDep
) -> ArchiveTransferOut:
    """The inventory of what an office transfers to the central archive, or the central
    archive to the historical archive (step 1)."""
    t = translator(services.settings.default_language, services.settings.timezone)
    prepare = (
        archive_transfers.prepare_primary
        if body.kind == "primary"
        else archive_transfers.prepare_secondary
    )
    made = prepare(db, services, actor, body.holding_ids, t)
    return archive_transfers.transfer_out(db, made)


@router.post("/transfers/{transfer_id}/send")
def send_transfer(
    transfer_id: uuid.UUID, body: SendIn, actor: ActorDep, db: DbSession, services: ServicesDep
) -> ArchiveTransferOut:
    """Sign the inventory and send it to the archive (step 2); the archive acknowledges it
    from its inbox like any transfer."""
    sent = archive_transfers.send(db, services, actor, transfer_id, body.pin)
    return archive_transfers.transfer_out(db, sent)


@router.get("/transfers")
def list_transfers(
    actor: ActorDep, db: DbSession, services: ServicesDep
) -> list[ArchiveTransferOut]:
    archive_transfers.receive_acknowledged(db, services)
    return [
        archive_transfers.transfer_out(db, t) for t in archive_transfers.transfers_of(db, actor)
    ]


@router.get("/holdings")
def list_holdings(
    actor: ActorDep,
    db: DbSession,
    services: ServicesDep,
    dossier_id: uuid.UUID | None = None,
    document_id: uuid.UUID | None = None,
) -> HoldingOut | None:
    """A record's filing, phase and dates (for whoever may read the record)."""
    holdings.require_readable(db, actor, dossier_id=dossier_id, document_id=document_id)
    # As the periodic task would within minutes: a receipt or a closing since then shows.
    archive_transfers.receive_acknowledged(db, services)
    holdings.refresh_schedules(db, services.settings)
    return holdings.holding_of(db, dossier_id=dossier_id, document_id=document_id)


@router.post("/holdings/{holding_id}/trigger")
def record_trigger(
    holding_id: uuid.UUID, body: TriggerIn, actor: ActorDep, db: DbSession, services: ServicesDep
) -> HoldingOut:
    """The day a record's count starts, for a series counted from a date or an event (or
    a document's closing); the table in force then gives its dates."""
    return holdings.record_trigger(db, actor, services.settings, holding_id, body.day, body.note)


@router.get("/transfers/{transfer_id}/inventory")
def inventory_record(
    transfer_id: uuid.UUID,
    actor: ActorDep,
    db: DbSession,
    part: Annotated[str, Query(pattern="^(record|signature)$")] = "record",
) -> Response:
    """The inventory record (canonical JSON) or its detached CAdES signature, to check
    offline."""
    transfer = archive_transfers.visible_transfer(db, actor, transfer_id)
    content, media_type, _ = archive_transfers.signed_part(
        transfer.record, transfer.signature, part
    )
    return Response(content, media_type=media_type)


@router.post("/loans", status_code=201)
def request_loan(body: LoanIn, actor: ActorDep, db: DbSession) -> LoanOut:
    """An office asks for an archived record."""
    return loans.request_loan(db, actor, body.holding_id, body.reason)


@router.get("/loans")
def list_loans(
    actor: ActorDep,
    db: DbSession,
    services: ServicesDep,
    overdue: bool = False,
) -> list[LoanOut]:
    return loans.loans_for(db, actor, services.settings, overdue)


@router.post("/loans/{loan_id}/decision")
def decide_loan(
    loan_id: uuid.UUID, body: LoanDecisionIn, actor: ActorDep, db: DbSession, services: ServicesDep
) -> LoanOut:
    """An archivist lends the record until a date, or refuses."""
    return loans.decide(db, actor, services.settings, loan_id, body.approve, body.due_on)


@router.post("/loans/{loan_id}/extend")
def extend_loan(
    loan_id: uuid.UUID, body: LoanExtensionIn, actor: ActorDep, db: DbSession, services: ServicesDep
) -> LoanOut:
    """A new return date for a lent record (archivists)."""
    return loans.extend(db, actor, services.settings, loan_id, body.due_on)


@router.post("/loans/{loan_id}/return")
def return_loan(loan_id: uuid.UUID, actor: ActorDep, db: DbSession) -> LoanOut:
    return loans.return_loan(db, actor, loan_id)


@router.post("/holds", status_code=201)
def place_hold(body: HoldIn, actor: ActorDep, db: DbSession, services: ServicesDep) -> HoldOut:
    """A legal hold on a filed record or a whole series (archivists and legal staff)."""
    return holds.place_hold(
        db,
        services,
        actor,
        holding_id=body.holding_id,
        series_code=body.series_code,
        reason=body.reason,
        authority=body.authority,
        reference=body.reference,
    )


@router.get("/holds")
def list_holds(actor: ActorDep, db: DbSession, active: bool = False) -> list[HoldOut]:
    del actor
    return holds.holds(db, active)


@router.post("/holds/{hold_id}/release")
def release_hold(
    hold_id: uuid.UUID, body: HoldReleaseIn, actor: ActorDep, db: DbSession, services: ServicesDep
) -> HoldOut:
    """Another person than whoever placed it releases a hold."""
    return holds.release_hold(db, services, actor, hold_id, body.reason)


@router.get("/due-for-disposal")
def due_for_disposal(actor: ActorDep, db: DbSession, services: ServicesDep) -> list[HoldingOut]:
    """Central-archive records whose retention has ended, free of holds."""
    archive_transfers.receive_acknowledged(db, services)
    return disposals.due_for_disposal(db, actor, services)


@router.post("/disposals", status_code=201)
def propose_disposal(
    body: ProposalIn, actor: ActorDep, db: DbSession, services: ServicesDep
) -> ProposalOut:
    return disposals.propose(db, services, actor, body.holding_ids, body.appraisal, body.keep_ids)


@router.get("/disposals")
def list_disposals(actor: ActorDep, db: DbSession) -> list[ProposalOut]:
    del actor
    return [disposals.proposal_out(db, p) for p in disposals.proposals(db)]


@router.post("/disposals/{proposal_id}/approve")
def approve_disposal(
    proposal_id: uuid.UUID, body: SendIn, actor: ActorDep, db: DbSession, services: ServicesDep
) -> ProposalOut:
    """The archive committee approves, signed with the PIN."""
    return disposals.approve(db, services, actor, proposal_id, body.pin)


@router.post("/disposals/{proposal_id}/execute")
def execute_disposal(
    proposal_id: uuid.UUID, body: SendIn, actor: ActorDep, db: DbSession, services: ServicesDep
) -> ProposalOut:
    """The archivist carries it out and signs the disposal record (acta)."""
    return disposals.execute(db, services, actor, proposal_id, body.pin)


@router.get("/disposals/{proposal_id}/record")
def disposal_record(
    proposal_id: uuid.UUID,
    actor: ActorDep,
    db: DbSession,
    part: Annotated[str, Query(pattern="^(record|signature)$")] = "record",
) -> Response:
    """The signed disposal record (acta de eliminación) or its CAdES signature."""
    del actor
    proposal = disposals.proposal_by_id(db, proposal_id)
    content, media_type, _ = archive_transfers.signed_part(
        proposal.record, proposal.signature, part, "disposal record"
    )
    return Response(content, media_type=media_type)


def _export_out(export: ArchiveExport) -> ExportOut:
    done = export.status == ExportStatus.done.value
    return ExportOut(
        id=export.id,
        dossier_id=export.dossier_id,
        scope=export.scope_kind,
        scope_id=export.scope_id,
        label=export.label,
        status=export.status,
        format=export.format,
        done=export.done,
        total=export.total,
        size=export.size,
        error=export.error,
        job_id=export.job_id,
        created_at=export.created_at,
        finished_at=export.finished_at,
        download=f"/api/v1/archive/packages/{export.id}" if done else None,
    )


@router.post("/exports/{dossier_id}", status_code=202)
def request_export(
    dossier_id: uuid.UUID,
    actor: ActorDep,
    db: DbSession,
    services: ServicesDep,
    format: Annotated[str, Query(pattern="^(eark|eni)$")] = "eark",
) -> ExportOut:
    """Ask for a dossier's archival package (archivists): ``eark``, an E-ARK SIP in a
    BagIt bag (the default), or ``eni``, an ENI expediente with its index sealed by the
    institution. A job of the ``exports`` queue makes it; poll the export (or the job)
    for its progress."""
    return _export_out(export_jobs.request_export(db, services, actor, dossier_id, format))


@router.post("/exports", status_code=202)
def request_scope_export(
    body: ScopeExportIn, actor: ActorDep, db: DbSession, services: ServicesDep
) -> ExportOut:
    """Ask for the E-ARK package of a dossier, a case, a series or an official's records
    (a handover), every record whole (archivists); poll it for its progress."""
    return _export_out(export_jobs.request_scope_export(db, services, actor, body.scope, body.id))


@router.get("/exports")
def recent_exports(actor: ActorDep, db: DbSession) -> list[ExportOut]:
    """The latest packages asked for, of any scope (archivists)."""
    return [_export_out(e) for e in export_jobs.recent_exports(db, actor)]


@router.get("/packages/{export_id}")
def package(
    export_id: uuid.UUID, actor: ActorDep, db: DbSession, services: ServicesDep
) -> StreamingResponse:
    """A finished package (the zip)."""
    export, chunks = export_jobs.download(db, services, actor, None, export_id)
    return streamed_zip(chunks, export.size, export_jobs.file_name(export))


@router.get("/exports/{dossier_id}")
def list_exports(dossier_id: uuid.UUID, actor: ActorDep, db: DbSession) -> list[ExportOut]:
    readable_dossier(db, actor, dossier_id)
    if not actor.has_any(*export_jobs.EXPORTERS):
        return []
    return [_export_out(e) for e in export_jobs.exports_of(db, dossier_id)]


@router.get("/exports/{dossier_id}/{export_id}/package")
def export_package(
    dossier_id: uuid.UUID,
    export_id: uuid.UUID,
    actor: ActorDep,
    db: DbSession,
    services: ServicesDep,
) -> StreamingResponse:
    export, chunks = export_jobs.download(db, services, actor, dossier_id, export_id)
    return streamed_zip(chunks, export.size, export_jobs.file_name(export))


def import_out(record: ArchiveImport) -> ImportOut:
    report = record.report or {}
    return ImportOut(
        id=record.id,
        status=record.status,
        format=record.format,
        filename=record.filename,
        package_sha256=record.package_sha256,
        package_size=record.package_size,
        done=record.done,
        total=record.total,
        error=record.error,
        verdict=record.verdict,
        problems=list(report.get("problems", [])),
        doubts=list(report.get("doubts", [])),
        checked=list(report.get("checked", [])),
        dossier_id=record.dossier_id,
        dossier_ids=[uuid.UUID(d) for d in record.dossier_ids or []],
        origin_institution=record.origin_institution,
        origin_identifier=record.origin_identifier,
        job_id=record.job_id,
        created_at=record.created_at,
        finished_at=record.finished_at,
    )


def import_detail(db: DbSession, services: ServicesDep, record: ArchiveImport) -> ImportDetailOut:
    documents = [
        ImportedDocumentOut(
            document_id=item.document_id,
            origin_id=item.origin_id,
            origin_verification_code=item.origin_verification_code,
            versions=[ImportedVersionOut.model_validate(v) for v in item.verdicts],
        )
        for item in import_jobs.imported_documents(db, record.id)
    ]
    evidence = None
    if record.status == ImportStatus.done.value:
        found = origin_evidence(db, services, record)
        evidence = OriginEvidenceOut(
            verified=found.verified,
            leaves=found.leaves,
            checkpoint_size=found.checkpoint_size,
            versions_proven=found.versions_proven,
            versions=found.versions,
            problems=[str(p) for p in found.problems],
            register_key=record.origin_register_key,
        )
    return ImportDetailOut(
        **import_out(record).model_dump(), documents=documents, origin_evidence=evidence
    )


IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "register_key": {"type": "string"},
                    },
                }
            }
        },
    }
}


@router.post("/imports", status_code=202, openapi_extra=IMPORT_BODY)
async def request_import(
    request: Request, actor: ActorDep, db: DbSession, services: ServicesDep
) -> ImportOut:
    """Send an archival package for import (archivists): an E-ARK SIP made by docsvc (its
    zip) or an ENI expediente (its zip). A job of the ``exports`` queue checks it and, if
    nothing fails, imports it as a closed dossier; poll the import for its progress and
    verdict. ``register_key`` (optional): the origin register's key as it publishes it."""
    import_jobs.new_import(actor, "")  # refuse a non-archivist before reading the body
    form = await receive_multipart(
        request.headers.get("content-type"),
        request.stream(),
        tmp_dir=services.settings.upload_tmp_dir,
        max_file_bytes=services.settings.max_package_bytes,
    )
    try:
        if form.file is None:
            raise InvalidInput("The form has no 'file' part.", code="file_missing")
        record = await run_in_threadpool(
            import_jobs.request_import,
            db,
            services,
            actor,
            form.file,
            form.fields.get("register_key", ""),
        )
    finally:
        form.discard()
    return import_out(record)


@router.get("/imports")
def list_imports(actor: ActorDep, db: DbSession) -> list[ImportOut]:
    return [import_out(r) for r in import_jobs.imports_for(db, actor)]


@router.get("/imports/{import_id}")
def get_import(
    import_id: uuid.UUID, actor: ActorDep, db: DbSession, services: ServicesDep
) -> ImportDetailOut:
    """An import: its progress and verdict, each document's verdict here beside the
    origin's, and the origin's register proofs checked again now."""
    return import_detail(db, services, import_jobs.get_import(db, actor, import_id))
