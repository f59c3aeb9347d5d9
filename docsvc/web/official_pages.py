"""Pages for signed-in officials: the inbox (what awaits my signature, what my department
received, deadlines and what is overdue), the signing dialog of a signing line (sign with
the PIN, or reject with a reason), and answering a received transfer (acknowledge, or
return with a reason), each with a signed receipt.

Every form carries the session's CSRF token. A refused action rolls back whatever it
started and shows the page again with the reason in the page's language; an action that
succeeded redirects (303) to the inbox with a notice, so a reload does not repeat it.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from docsvc.batches import service as batches
from docsvc.batches.schemas import BatchIn, BatchItemIn
from docsvc.deps import DbSession, ServicesDep
from docsvc.errors import DomainError, InvalidInput, PermissionDenied
from docsvc.identity.actor import Actor
from docsvc.models import AuthSession
from docsvc.services import Services
from docsvc.signing_lines import service as lines
from docsvc.transfers import service as transfers
from docsvc.web.pages import (
    SignedIn,
    error_text,
    read_form,
    read_form_lists,
    render,
    require_csrf,
)

router = APIRouter(include_in_schema=False)

# Notices an action may redirect with; anything else in ?hecho= is ignored.
NOTICES = ("signed", "rejected", "acknowledged", "returned", "sent")


def _inbox_page(
    request: Request,
    db: Session,
    services: Services,
    actor: Actor,
    auth_session: AuthSession,
    *,
    error: DomainError | None = None,
) -> Response:
    settings = services.settings
    notice = request.query_params.get("hecho")
    return render(
        request,
        services,
        "inbox.html",
        error.status_code if error else 200,
        actor=actor,
        csrf_token=auth_session.csrf_token,
        awaiting=lines.inbox(db, actor, "awaiting"),
        requested=lines.inbox(db, actor, "requested"),
        received=transfers.list_transfers(db, actor, settings, "incoming", "sent", 100, 0),
        deadlines=transfers.deadlines(db, actor, settings, None, 2),
        notice=notice if notice in NOTICES else None,
        error=error_text(request, services, error) if error else None,
    )


@router.get("/bandeja", response_model=None)
def inbox(request: Request, db: DbSession, services: ServicesDep, session: SignedIn) -> Response:
    actor, auth_session = session
    return _inbox_page(request, db, services, actor, auth_session)


def _line_page(
    request: Request,
    db: Session,
    services: Services,
    actor: Actor,
    auth_session: AuthSession,
    line_id: uuid.UUID,
    error: DomainError | None = None,
) -> Response:
    line = lines.get_line(db, actor, line_id)
    return render(
        request,
        services,
        "signing_line.html",
        error.status_code if error else 200,
        actor=actor,
        csrf_token=auth_session.csrf_token,
        line=line,
        error=error_text(request, services, error) if error else None,
    )


@router.get("/firmas/{line_id}", response_model=None)
def signing_line(
    request: Request,
    line_id: uuid.UUID,
    db: DbSession,
    services: ServicesDep,
    session: SignedIn,
) -> Response:
    actor, auth_session = session
    try:
        return _line_page(request, db, services, actor, auth_session, line_id)
    except DomainError as exc:
        return _inbox_page(request, db, services, actor, auth_session, error=exc)


FormDep = Annotated[dict[str, str], Depends(read_form)]


@router.post("/firmas/{line_id}/firmar", response_model=None)
async def sign_line(
    request: Request,
    line_id: uuid.UUID,
    db: DbSession,
    services: ServicesDep,
    session: SignedIn,
    form: FormDep,
) -> Response:
    actor, auth_session = session
    try:
        require_csrf(auth_session, form.get("csrf_token"))
        pin = form.get("pin") or None
        await run_in_threadpool(lines.sign, db, services, actor, line_id, pin)
    except DomainError as exc:
        db.rollback()
        return _line_page(request, db, services, actor, auth_session, line_id, exc)
    return RedirectResponse("/bandeja?hecho=signed", status_code=303)


@router.post("/firmas/{line_id}/rechazar", response_model=None)
def reject_line(
    request: Request,
    line_id: uuid.UUID,
    db: DbSession,
    services: ServicesDep,
    session: SignedIn,
    form: FormDep,
) -> Response:
    actor, auth_session = session
    try:
        require_csrf(auth_session, form.get("csrf_token"))
        reason = form.get("reason", "").strip()
        if not reason:
            raise PermissionDenied("Say why.", code="reason_required")
        lines.reject(
            db, actor, line_id, reason[:2000], notify_by_email=services.settings.smtp_enabled
        )
    except DomainError as exc:
        db.rollback()
        return _line_page(request, db, services, actor, auth_session, line_id, exc)
    return RedirectResponse("/bandeja?hecho=rejected", status_code=303)


@router.post("/transferencias/{transfer_id}/responder", response_model=None)
async def answer_transfer(
    request: Request,
    transfer_id: uuid.UUID,
    db: DbSession,
    services: ServicesDep,
    session: SignedIn,
    form: FormDep,
) -> Response:
    """Acknowledge (``action=acknowledge``) or return with a reason (``action=return``)."""
    actor, auth_session = session
    returning = form.get("action") == "return"
    try:
        require_csrf(auth_session, form.get("csrf_token"))
        reason = transfers.check_reason(form.get("reason", "")[:2000]) if returning else None
        pin = form.get("pin") or None
        await run_in_threadpool(transfers.answer, db, services, actor, transfer_id, pin, reason)
    except DomainError as exc:
        db.rollback()
        return _inbox_page(request, db, services, actor, auth_session, error=exc)
    notice = "returned" if returning else "acknowledged"
    return RedirectResponse(f"/bandeja?hecho={notice}", status_code=303)


FormListsDep = Annotated[dict[str, list[str]], Depends(read_form_lists)]


@router.post("/firmas/lote", response_model=None)
def sign_batch(
    request: Request,
    background: BackgroundTasks,
    db: DbSession,
    services: ServicesDep,
    session: SignedIn,
    form: FormListsDep,
) -> Response:
    """Sign the lines ticked in the inbox with one PIN entry, as a batch job."""
    actor, auth_session = session
    pin = (form.get("pin") or [""])[0]
    try:
        require_csrf(auth_session, (form.get("csrf_token") or [""])[0])
        chosen = form.get("line") or []
        if not chosen:
            raise InvalidInput("Tick at least one line.", code="nothing_chosen")
        try:
            body = BatchIn(items=[BatchItemIn(line_id=uuid.UUID(v)) for v in chosen], pin=pin)
        except (ValidationError, ValueError) as exc:
            raise InvalidInput("Check the lines and the PIN.", code="form_invalid") from exc
        created = batches.create_job(db, services, actor, body)
    except DomainError as exc:
        db.rollback()
        return _inbox_page(request, db, services, actor, auth_session, error=exc)
    background.add_task(batches.start_job, services, created.id, actor, body.pin)
    return RedirectResponse(f"/firmas/lote/{created.id}", status_code=303)


@router.get("/firmas/lote/{job_id}", response_model=None)
def batch_progress(
    request: Request, job_id: uuid.UUID, db: DbSession, services: ServicesDep, session: SignedIn
) -> Response:
    """The job's progress bar; the page reloads itself every two seconds until it ends
    (a meta refresh: no script needed)."""
    actor, auth_session = session
    try:
        job = batches.get_job(db, actor, job_id)
    except DomainError as exc:
        return _inbox_page(request, db, services, actor, auth_session, error=exc)
    return render(
        request,
        services,
        "batch.html",
        actor=actor,
        csrf_token=auth_session.csrf_token,
        job=job,
        running=job.status in ("queued", "running"),
    )
