"""Audit routes: read-only, for auditors. There is no route that changes an event."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from docsvc.audit import service
from docsvc.audit.schemas import AuditPage, AuditQuery
from docsvc.deps import ActorDep, DbSession

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


@router.get("/events")
def list_events(actor: ActorDep, db: DbSession, query: Annotated[AuditQuery, Query()]) -> AuditPage:
    return service.query_events(db, actor, query)
