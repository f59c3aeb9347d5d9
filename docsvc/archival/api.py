"""Archive routes under /api/v1/archive: the classification scheme's versions (import and
export as CSV or JSON), the retention tables and their signed steps, filing, and what is due
for transfer."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from docsvc.archival import classification, holdings, retention_tables
from docsvc.archival.schemas import (
    FileIn,
    HoldingOut,
    ImportIn,
    SchemeVersionOut,
    StepIn,
    TableOut,
)
from docsvc.deps import ActorDep, DbSession, ServicesDep

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
    return Response(
        content,
        media_type=media_type,
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


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
    return Response(
        content,
        media_type=media_type,
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


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
