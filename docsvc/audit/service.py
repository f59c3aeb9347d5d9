"""Recording audit events. Events are written in the request's own transaction, so an
action and its audit record commit or vanish together."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping

from sqlalchemy.orm import Session

from docsvc.actors.actor import Actor, Origin
from docsvc.audit import repository
from docsvc.audit.schemas import AuditEventOut, AuditPage, AuditQuery
from docsvc.errors import PermissionDenied
from docsvc.models import AuditEvent, Role

JsonScalar = str | int | float | bool | None


def record_event(
    db: Session,
    actor: Actor | None,
    action: str,
    *,
    object_type: str = "",
    object_id: str = "",
    department_id: uuid.UUID | None = None,
    origin: Origin | None = None,
    outcome: str = "ok",
    details: Mapping[str, JsonScalar | list[str]] | None = None,
) -> None:
    client_ip = actor.client_ip if actor else (origin.client_ip if origin else "")
    user_agent = actor.user_agent if actor else (origin.user_agent if origin else "")
    db.add(
        AuditEvent(
            actor_id=actor.user_id if actor else None,
            actor_username=actor.username if actor else "",
            action=action,
            object_type=object_type,
            object_id=object_id,
            department_id=department_id
            if department_id
            else (actor.department_id if actor else None),
            client_ip=client_ip[:64],
            user_agent=user_agent[:300],
            outcome=outcome,
            details=json.dumps(dict(details or {}), ensure_ascii=False, sort_keys=True),
        )
    )


EXPORT_CAP = 50_000  # events in one CSV export


def _auditor_only(actor: Actor) -> None:
    if not actor.has_any(Role.auditor):
        raise PermissionDenied("Only auditors can read the audit trail.", code="auditor_only")


def query_events(db: Session, actor: Actor, query: AuditQuery) -> AuditPage:
    _auditor_only(actor)
    record_event(
        db, actor, "audit.query", object_type="audit", details=query.model_dump(mode="json")
    )
    return repository.page_of_events(db, query)


def export_events(db: Session, actor: Actor, query: AuditQuery) -> list[AuditEventOut]:
    """Every event the query matches (up to ``EXPORT_CAP``), for a CSV file; the export is
    itself an event."""
    _auditor_only(actor)
    record_event(
        db, actor, "audit.export", object_type="audit", details=query.model_dump(mode="json")
    )
    return repository.all_events(db, query, EXPORT_CAP)


def event_actions(db: Session, actor: Actor) -> list[str]:
    _auditor_only(actor)
    return repository.actions(db)
