"""The audit trail for auditors (``/auditoria``): every event filtered by who, what, when
and department, newest first, page by page, and exported as CSV with the same filters.
Consulting and exporting it are events themselves."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import ValidationError

from docsvc.audit import service as audit
from docsvc.audit.schemas import AuditQuery
from docsvc.errors import DomainError, InvalidInput
from docsvc.organisation import repository as organisation
from docsvc.web.page import Page, PageDep, page_translator

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 100


def _day(value: str, zone: str, *, end: bool) -> datetime | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(
            "Dates are written as days of the calendar.", code="form_invalid"
        ) from exc
    if end:
        day += timedelta(days=1)  # "until" is inclusive: up to the start of the next day
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(zone))


def _query(page: Page, offset: int = 0) -> AuditQuery:
    params = page.request.query_params
    zone = page.settings.timezone
    try:
        return AuditQuery(
            actor=params.get("quien") or None,
            action=params.get("accion") or None,
            department=params.get("departamento") or None,
            object_id=params.get("objeto") or None,
            since=_day(params.get("desde", ""), zone, end=False),
            until=_day(params.get("hasta", ""), zone, end=True),
            limit=PAGE_SIZE,
            offset=offset,
        )
    except ValidationError as exc:
        raise InvalidInput("Check the filters.", code="form_invalid") from exc


@router.get("/auditoria", response_model=None)
def audit_trail(page: PageDep) -> Response:
    params = page.request.query_params
    try:
        offset = max(0, int(params.get("desde_fila", "0") or 0))
    except ValueError:
        offset = 0
    error: DomainError | None = None
    try:
        query = _query(page, offset)
    except DomainError as exc:
        error, query = exc, AuditQuery(limit=PAGE_SIZE)
    found = audit.query_events(page.db, page.actor, query)  # auditors only
    kept = {k: v for k, v in params.items() if k != "desde_fila"}
    return page.render(
        "audit.html",
        error=error,
        events=found,
        actions=audit.event_actions(page.db, page.actor),
        departments=organisation.departments(page.db),
        codes=organisation.department_codes(page.db),
        chosen={
            k: params.get(k, "")
            for k in ("quien", "accion", "departamento", "objeto", "desde", "hasta")
        },
        filters=urlencode({k: v for k, v in kept.items() if v}),
        offset=offset,
        page_size=PAGE_SIZE,
    )


@router.get("/auditoria.csv", response_model=None)
def audit_trail_csv(page: PageDep) -> Response:
    t = page_translator(page.request, page.services)
    events = audit.export_events(page.db, page.actor, _query(page))
    codes = organisation.department_codes(page.db)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            t.pgettext("csv column", "moment (UTC)"),
            t.pgettext("csv column", "user"),
            t.pgettext("csv column", "action"),
            t.pgettext("csv column", "object type"),
            t.pgettext("csv column", "object"),
            t.pgettext("csv column", "department"),
            t.pgettext("csv column", "outcome"),
            t.pgettext("csv column", "address"),
            t.pgettext("csv column", "details"),
        ]
    )
    for event in events:
        writer.writerow(
            [
                event.occurred_at.isoformat(),
                event.actor_username,
                event.action,
                event.object_type,
                event.object_id,
                codes.get(event.department_id, "") if event.department_id else "",
                event.outcome,
                event.client_ip,
                event.details,
            ]
        )
    name = t.gettext("audit-trail.csv")
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
