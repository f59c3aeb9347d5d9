"""Audit queries."""

from __future__ import annotations

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from docsvc.audit.schemas import AuditEventOut, AuditPage, AuditQuery
from docsvc.models import AuditEvent, Department


def _filtered(query: AuditQuery) -> Select[AuditEvent]:
    stmt = select(AuditEvent)
    if query.department:
        stmt = stmt.where(
            AuditEvent.department_id.in_(
                select(Department.id).where(Department.code == query.department)
            )
        )
    if query.actor:
        stmt = stmt.where(AuditEvent.actor_username == query.actor)
    if query.action:
        stmt = stmt.where(AuditEvent.action == query.action)
    if query.object_id:
        stmt = stmt.where(AuditEvent.object_id == query.object_id)
    if query.since:
        stmt = stmt.where(AuditEvent.occurred_at >= query.since)
    if query.until:
        stmt = stmt.where(AuditEvent.occurred_at < query.until)
    return stmt


def all_events(db: Session, query: AuditQuery, cap: int) -> list[AuditEventOut]:
    """Every event the query matches, newest first, up to ``cap`` (an export)."""
    rows = db.scalars(_filtered(query).order_by(AuditEvent.id.desc()).limit(cap)).all()
    return [AuditEventOut.model_validate(r) for r in rows]


def actions(db: Session) -> list[str]:
    """The actions the trail holds, for a filter's choices."""
    return sorted(db.scalars(select(AuditEvent.action).distinct()))


def page_of_events(db: Session, query: AuditQuery) -> AuditPage:
    stmt = _filtered(query)
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.scalars(
        stmt.order_by(AuditEvent.id.desc()).limit(query.limit).offset(query.offset)
    ).all()
    return AuditPage(total=total, items=[AuditEventOut.model_validate(r) for r in rows])
