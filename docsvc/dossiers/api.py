"""Dossier routes under /api/v1/dossiers."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from docsvc.deps import ActorDep, DbSession
from docsvc.dossiers import service
from docsvc.dossiers.schemas import (
    DossierIn,
    DossierItemIn,
    DossierMoveIn,
    DossierOut,
    DossierPage,
)
from docsvc.query_types import Offset

router = APIRouter(prefix="/api/v1/dossiers", tags=["dossiers"])


@router.post("", status_code=201)
def create_dossier(body: DossierIn, actor: ActorDep, db: DbSession) -> DossierOut:
    return service.create_dossier(db, actor, body)


@router.get("")
def list_dossiers(
    actor: ActorDep,
    db: DbSession,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[Offset, Query()] = 0,
) -> DossierPage:
    return service.list_dossiers(db, actor, limit, offset)


@router.get("/{dossier_id}")
def get_dossier(dossier_id: uuid.UUID, actor: ActorDep, db: DbSession) -> DossierOut:
    return service.get_dossier(db, actor, dossier_id)


@router.post("/{dossier_id}/items", status_code=201)
def add_document(
    dossier_id: uuid.UUID, body: DossierItemIn, actor: ActorDep, db: DbSession
) -> DossierOut:
    """Append a document at the end of the dossier."""
    return service.add_document(db, actor, dossier_id, body.document_id)


@router.post("/{dossier_id}/items/{document_id}/move")
def move_document(
    dossier_id: uuid.UUID,
    document_id: uuid.UUID,
    body: DossierMoveIn,
    actor: ActorDep,
    db: DbSession,
) -> DossierOut:
    """Put a document at another place in the dossier (1-based)."""
    return service.move_document(db, actor, dossier_id, document_id, body.position)


@router.post("/{dossier_id}/close")
def close_dossier(dossier_id: uuid.UUID, actor: ActorDep, db: DbSession) -> DossierOut:
    return service.close_dossier(db, actor, dossier_id)
