"""Pages for registry and legal staff: the department's register with the form to register
a document incoming or outgoing (``/registro``), the transfer dialog of a document
(``/documentos/{id}/transferir``: department, purpose, deadline, instructions, signed with
the PIN), and a case's history as a timeline (``/casos/{case_id}``), each item with its
place in the tamper-evident register.

Forms are validated by the same schemas as the API, so the rules are the API's; a refused
form is shown again, filled in, with the reason in the page's language.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from docsvc.deps import DbSession, ServicesDep
from docsvc.documents import service as documents
from docsvc.documents.api import receive_file
from docsvc.documents.schemas import DocumentFilter, DocumentMetadataIn
from docsvc.errors import DomainError, InvalidInput, NotFound
from docsvc.identity.actor import Actor
from docsvc.models import AuthSession
from docsvc.models.transfers import Transfer
from docsvc.organisation import repository as organisation
from docsvc.register import history
from docsvc.register import service as register
from docsvc.register.schemas import EntryIn, EntryOut, EntryPage
from docsvc.services import Services
from docsvc.transfers import service as transfers
from docsvc.transfers.schemas import TransferIn
from docsvc.web.pages import SignedIn, error_text, read_form, render, require_csrf

router = APIRouter(include_in_schema=False)
FormDep = Annotated[dict[str, str], Depends(read_form)]
RECENT_ENTRIES = 100
PURPOSES = ("action", "information", "signature", "reply")


def _recent_entries(db: Session, actor: Actor) -> EntryPage:
    """The department's latest entries (the caller's own, or any for those who read all)."""
    return register.list_entries(
        db,
        actor,
        department_id=None,
        direction=None,
        year=None,
        document_id=None,
        limit=RECENT_ENTRIES,
        offset=0,
    )


def _cases(entries: Sequence[EntryOut]) -> list[tuple[uuid.UUID, str]]:
    """The cases of these entries, each named by its first entry: what a registration or
    a transfer may join instead of opening a case of its own."""
    seen: dict[uuid.UUID, str] = {}
    for entry in reversed(entries):  # oldest first
        seen.setdefault(entry.case_id, f"{entry.number} · {entry.subject[:80]}")
    return sorted(seen.items(), key=lambda item: item[1], reverse=True)


def _case_field(form: dict[str, str]) -> uuid.UUID | None:
    return uuid.UUID(form["case_id"]) if form.get("case_id") else None


def _invalid(exc: ValidationError) -> InvalidInput:
    fields = ", ".join(str(error["loc"][-1]) for error in exc.errors() if error["loc"])
    return InvalidInput(f"Check these fields: {fields}.", code="form_invalid")


def _register_page(
    request: Request,
    db: Session,
    services: Services,
    actor: Actor,
    auth_session: AuthSession,
    *,
    form: dict[str, str] | None = None,
    error: DomainError | None = None,
) -> Response:
    entries = _recent_entries(db, actor)
    readable = documents.list_documents(db, actor, DocumentFilter(limit=100))
    notice = request.query_params.get("hecho")
    return render(
        request,
        services,
        "registry.html",
        error.status_code if error else 200,
        actor=actor,
        csrf_token=auth_session.csrf_token,
        entries=entries,
        documents=readable.items,
        cases=_cases(entries.items),
        form=form or {},
        notice=notice if notice in ("registered", "sent") else None,
        error=error_text(request, services, error) if error else None,
    )


@router.get("/registro", response_model=None)
def registry(request: Request, db: DbSession, services: ServicesDep, session: SignedIn) -> Response:
    actor, auth_session = session
    return _register_page(request, db, services, actor, auth_session)


@router.post("/registro", response_model=None)
def register_document(
    request: Request, db: DbSession, services: ServicesDep, session: SignedIn, form: FormDep
) -> Response:
    actor, auth_session = session
    try:
        require_csrf(auth_session, form.get("csrf_token"))
        try:
            body = EntryIn(
                direction=form.get("direction", ""),
                subject=form.get("subject", "").strip(),
                counterpart=form.get("counterpart", "").strip(),
                document_date=date.fromisoformat(form["document_date"])
                if form.get("document_date")
                else None,
                document_id=uuid.UUID(form["document_id"]) if form.get("document_id") else None,
                case_id=_case_field(form),
            )
        except (ValidationError, ValueError) as exc:
            raise (
                _invalid(exc)
                if isinstance(exc, ValidationError)
                else InvalidInput("Check the date and the document.", code="form_invalid")
            ) from exc
        register.create_entry(db, services.settings, actor, body)
    except DomainError as exc:
        db.rollback()
        return _register_page(request, db, services, actor, auth_session, form=form, error=exc)
    return RedirectResponse("/registro?hecho=registered", status_code=303)


def _transfer_page(
    request: Request,
    db: Session,
    services: Services,
    actor: Actor,
    auth_session: AuthSession,
    document_id: uuid.UUID,
    *,
    form: dict[str, str] | None = None,
    error: DomainError | None = None,
) -> Response:
    document = documents.get_document(db, actor, document_id)
    departments = [d for d in organisation.departments(db) if d.id != actor.department_id]
    # What this department may answer: transfers it received and acknowledged, not yet
    # answered (with or without a deadline).
    received = transfers.list_transfers(
        db, actor, services.settings, "incoming", "acknowledged", 100, 0
    ).items
    answered = set(
        db.scalars(
            select(Transfer.reply_to_id).where(Transfer.reply_to_id.in_([t.id for t in received]))
        )
    )
    answerable = [t for t in received if t.id not in answered]
    return render(
        request,
        services,
        "transfer.html",
        error.status_code if error else 200,
        actor=actor,
        csrf_token=auth_session.csrf_token,
        document=document,
        departments=departments,
        purposes=PURPOSES,
        answerable=answerable,
        cases=_cases(_recent_entries(db, actor).items),
        form=form or {"purpose": "action"},
        error=error_text(request, services, error) if error else None,
    )


@router.get("/documentos/{document_id}/transferir", response_model=None)
def transfer_dialog(
    request: Request,
    document_id: uuid.UUID,
    db: DbSession,
    services: ServicesDep,
    session: SignedIn,
) -> Response:
    actor, auth_session = session
    try:
        return _transfer_page(request, db, services, actor, auth_session, document_id)
    except DomainError as exc:
        return _register_page(request, db, services, actor, auth_session, error=exc)


@router.post("/documentos/{document_id}/transferir", response_model=None)
async def send_transfer(
    request: Request,
    document_id: uuid.UUID,
    db: DbSession,
    services: ServicesDep,
    session: SignedIn,
    form: FormDep,
) -> Response:
    actor, auth_session = session
    try:
        require_csrf(auth_session, form.get("csrf_token"))
        try:
            fields: dict[str, Any] = {
                "document_id": document_id,
                "to_department": form.get("to_department", ""),
                "purpose": form.get("purpose", ""),
                "instructions": form.get("instructions", "").strip(),
                "deadline_days": int(form["deadline_days"]) if form.get("deadline_days") else None,
                "reply_to": uuid.UUID(form["reply_to"]) if form.get("reply_to") else None,
                "case_id": _case_field(form),
                "pin": form.get("pin") or None,
            }
            body = TransferIn(**fields)
        except (ValidationError, ValueError) as exc:
            raise (
                _invalid(exc)
                if isinstance(exc, ValidationError)
                else InvalidInput("The deadline is a number of days.", code="form_invalid")
            ) from exc
        await run_in_threadpool(transfers.send, db, services, actor, body)
    except DomainError as exc:
        db.rollback()
        return _transfer_page(
            request, db, services, actor, auth_session, document_id, form=form, error=exc
        )
    return RedirectResponse("/bandeja?hecho=sent", status_code=303)


@router.get("/casos/{case_id}", response_model=None)
def case_timeline(
    request: Request,
    case_id: uuid.UUID,
    db: DbSession,
    services: ServicesDep,
    session: SignedIn,
) -> Response:
    actor, auth_session = session
    try:
        case = history.case_history(db, services.settings, actor, case_id)
    except DomainError as exc:
        return _register_page(request, db, services, actor, auth_session, error=exc)
    if actor.roles & register.DETAILS_ROLES:
        # Staff who may read the details the leaves commit to see them in the timeline
        # (each read is audited, as through the API), for what they may see of the case.
        for item in case.items:
            try:
                details = register.leaf_details(db, actor, item.index)
            except NotFound:
                continue
            item.data = {**item.data, **{k: v for k, v in details.items() if k != "salt"}}
    return render(
        request,
        services,
        "case.html",
        actor=actor,
        csrf_token=auth_session.csrf_token,
        case=case,
    )


@router.post("/registro/nuevo", response_model=None)
async def upload_and_register(
    request: Request, db: DbSession, services: ServicesDep, session: SignedIn
) -> Response:
    """A document received on paper or by e-mail: upload its PDF and register it in one
    step (multipart: ``file``, ``title``, ``doc_type``, ``confidentiality`` and the
    entry's fields)."""
    actor, auth_session = session
    try:
        received = await receive_file(request, services)
    except DomainError as exc:
        return _register_page(request, db, services, actor, auth_session, error=exc)
    fields = received.fields
    try:
        require_csrf(auth_session, fields.get("csrf_token"))
        try:
            metadata = DocumentMetadataIn.model_validate(
                {
                    "doc_type": fields.get("doc_type", "letter"),
                    "title": fields.get("title", "").strip(),
                    "confidentiality": fields.get("confidentiality", "internal"),
                }
            )
            # Checked before the document is stored; its id is filled in once it exists.
            entry = EntryIn(
                direction=fields.get("direction", "incoming"),
                subject=fields.get("subject", "").strip(),
                counterpart=fields.get("counterpart", "").strip(),
                document_date=date.fromisoformat(fields["document_date"])
                if fields.get("document_date")
                else None,
                document_id=uuid.uuid4(),
            )
        except (ValidationError, ValueError) as exc:
            raise (
                _invalid(exc)
                if isinstance(exc, ValidationError)
                else InvalidInput("Check the date.", code="form_invalid")
            ) from exc
        assert received.file is not None
        document = await run_in_threadpool(
            documents.create_document,
            db,
            services.store,
            services.settings,
            actor,
            metadata,
            received.file,
        )
        entry = entry.model_copy(update={"document_id": document.id})
        register.create_entry(db, services.settings, actor, entry)
    except DomainError as exc:
        db.rollback()
        return _register_page(
            request, db, services, actor, auth_session, form=dict(fields), error=exc
        )
    finally:
        received.discard()
    return RedirectResponse("/registro?hecho=registered", status_code=303)
