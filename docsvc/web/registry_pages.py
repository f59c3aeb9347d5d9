"""Pages for registry and legal staff: the department's register with the form to register
a document incoming or outgoing (``/registro``), the transfer dialog of a document
(``/documentos/{id}/remitir``: department, purpose, deadline, instructions, signed with
the PIN), and a case's history as a timeline (``/casos/{case_id}``), each item with its
place in the tamper-evident register.

Forms are validated by the same schemas as the API, so the rules are the API's; a refused
form is shown again, filled in, with the reason in the page's language.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from docsvc.actors.actor import Actor
from docsvc.documents import service as documents
from docsvc.documents.api import receive_file
from docsvc.documents.schemas import DocumentFilter, DocumentMetadataIn
from docsvc.documents.uploads import ReceivedForm
from docsvc.errors import DomainError, InvalidInput, NotFound
from docsvc.models import Confidentiality, DocumentType
from docsvc.models.transfers import Transfer
from docsvc.organisation import repository as organisation
from docsvc.register import history
from docsvc.register import service as register
from docsvc.register.receipt import receipt_pdf
from docsvc.register.schemas import EntryIn, EntryOut, EntryPage
from docsvc.transfers import service as transfers
from docsvc.transfers.schemas import TransferIn, TransferOut
from docsvc.web.page import FormDep, Page, PageDep, page_translator

router = APIRouter(include_in_schema=False)
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
    page: Page,
    *,
    form: dict[str, str] | None = None,
    upload_form: dict[str, str] | None = None,
    error: DomainError | None = None,
) -> Response:
    """The register; ``form`` refills the form for a document already here, ``upload_form``
    the one that uploads: each keeps its own values after an error."""
    entries = _recent_entries(page.db, page.actor)
    readable = documents.list_documents(page.db, page.actor, DocumentFilter(limit=100))
    registered = page.request.query_params.get("asiento")
    return page.render(
        "registry.html",
        error=error,
        entries=entries,
        documents=readable.items,
        cases=_cases(entries.items),
        form=form or {},
        upload_form=upload_form or {},
        doc_types=list(DocumentType),
        confidentialities=list(Confidentiality),
        notice=page.notice(("registered", "sent")),
        receipt_entry=next((e for e in entries.items if str(e.id) == registered), None),
    )


@router.get("/registro", response_model=None)
def registry(page: PageDep) -> Response:
    return _register_page(page)


def _entry_in(form: dict[str, str]) -> EntryIn:
    try:
        return EntryIn(
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


def _registered(entry_ids: list[uuid.UUID]) -> str:
    """Where a registration leads: the register, saying so, with its receipt to print."""
    return f"/registro?hecho=registered&asiento={entry_ids[0]}"


@router.post("/registro", response_model=None)
def register_document(page: PageDep, form: FormDep) -> Response:
    made: list[uuid.UUID] = []
    return page.act(
        form.get("csrf_token"),
        lambda: made.append(
            register.create_entry(page.db, page.settings, page.actor, _entry_in(form)).id
        ),
        lambda: _registered(made),
        lambda exc: _register_page(page, form=form, error=exc),
    )


@router.get("/registro/{entry_id}/justificante.pdf", response_model=None)
def registry_receipt(entry_id: uuid.UUID, page: PageDep) -> Response:
    """The entry's receipt, sealed, to print or to send."""
    t = page_translator(page.request, page.services)
    number, pdf = receipt_pdf(page.db, page.services.keys, page.actor, entry_id, t)
    name = t.gettext("receipt-%(number)s.pdf", number=number)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )


def _transfer_page(
    page: Page,
    document_id: uuid.UUID,
    *,
    form: dict[str, str] | None = None,
    error: DomainError | None = None,
) -> Response:
    db, actor = page.db, page.actor
    document = documents.get_document(db, actor, document_id)
    departments = [d for d in organisation.departments(db) if d.id != actor.department_id]
    # What this department may answer: transfers it received and acknowledged, not yet
    # answered (with or without a deadline).
    received = transfers.list_transfers(
        db, actor, page.settings, "incoming", "acknowledged", 100, 0
    ).items
    answered = set(
        db.scalars(
            select(Transfer.reply_to_id).where(Transfer.reply_to_id.in_([t.id for t in received]))
        )
    )
    answerable = [t for t in received if t.id not in answered]
    return page.render(
        "transfer.html",
        error=error,
        document=document,
        departments=departments,
        purposes=PURPOSES,
        answerable=answerable,
        cases=_cases(_recent_entries(db, actor).items),
        # Opened from a received transfer's "Answer it": a reply to it, back to its sender.
        form=form or _reply_defaults(page, answerable),
    )


def _reply_defaults(page: Page, answerable: Sequence[TransferOut]) -> dict[str, str]:
    replying = page.request.query_params.get("responde", "")
    for transfer in answerable:
        if str(transfer.id) == replying:
            return {
                "purpose": "reply",
                "reply_to": replying,
                "to_department": transfer.from_department,
            }
    return {"purpose": "action"}


@router.api_route("/documentos/{document_id}/transferir", methods=["GET", "POST"])
def old_transfer_address(document_id: uuid.UUID, request: Request) -> Response:
    """The dialog's earlier address, kept for bookmarks and open forms: 308 keeps a form's
    method and body."""
    query = f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse(f"/documentos/{document_id}/remitir{query}", status_code=308)


@router.get("/documentos/{document_id}/remitir", response_model=None)
def transfer_dialog(document_id: uuid.UUID, page: PageDep) -> Response:
    return page.shown(
        lambda: _transfer_page(page, document_id),
        lambda exc: _register_page(page, error=exc),
    )


def _transfer_in(document_id: uuid.UUID, form: dict[str, str]) -> TransferIn:
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
        return TransferIn(**fields)
    except (ValidationError, ValueError) as exc:
        raise (
            _invalid(exc)
            if isinstance(exc, ValidationError)
            else InvalidInput("The deadline is a number of days.", code="form_invalid")
        ) from exc


@router.post("/documentos/{document_id}/remitir", response_model=None)
def send_transfer(document_id: uuid.UUID, page: PageDep, form: FormDep) -> Response:
    return page.act(
        form.get("csrf_token"),
        lambda: transfers.send(page.db, page.services, page.actor, _transfer_in(document_id, form)),
        "/bandeja?hecho=sent",
        lambda exc: _transfer_page(page, document_id, form=form, error=exc),
    )


@router.get("/casos/{case_id}", response_model=None)
def case_timeline(case_id: uuid.UUID, page: PageDep) -> Response:
    return page.shown(
        lambda: _case_page(page, case_id), lambda exc: _register_page(page, error=exc)
    )


def _case_page(page: Page, case_id: uuid.UUID) -> Response:
    db, actor = page.db, page.actor
    case = history.case_history(db, page.services.keys, actor, case_id)
    # Whoever may see what a leaf describes sees the details it commits to (each read is
    # audited, as through the API): HR reads the subject of the memo sent to it.
    for item in case.items:
        try:
            details = register.leaf_details(db, actor, item.index)
        except NotFound:
            continue
        item.data = {**item.data, **{k: v for k, v in details.items() if k != "salt"}}
    return page.render("case.html", case=case)


def _registration(fields: dict[str, str]) -> tuple[DocumentMetadataIn, EntryIn]:
    """The uploaded document's metadata and its entry, checked before the document is
    stored (the entry's document id is filled in once it exists)."""
    try:
        metadata = DocumentMetadataIn.model_validate(
            {
                "doc_type": fields.get("doc_type", "letter"),
                "title": fields.get("title", "").strip(),
                "confidentiality": fields.get("confidentiality", "internal"),
            }
        )
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
    return metadata, entry


def _upload_and_register(page: Page, received: ReceivedForm) -> Response:
    fields = dict(received.fields)

    made: list[uuid.UUID] = []

    def register_upload() -> None:
        metadata, entry = _registration(fields)
        assert received.file is not None
        settings = page.settings
        document = documents.create_document(
            page.db, page.services.store, settings, page.actor, metadata, received.file
        )
        entry = entry.model_copy(update={"document_id": document.id})
        made.append(register.create_entry(page.db, settings, page.actor, entry).id)

    try:
        return page.act(
            fields.get("csrf_token"),
            register_upload,
            lambda: _registered(made),
            lambda exc: _register_page(page, upload_form=fields, error=exc),
        )
    finally:
        received.discard()


@router.post("/registro/nuevo", response_model=None)
async def upload_and_register(request: Request, page: PageDep) -> Response:
    """A document received on paper or by e-mail: upload its PDF and register it in one
    step (multipart: ``file``, ``title``, ``doc_type``, ``confidentiality`` and the
    entry's fields). Async only to stream the upload to disk; everything else, the
    database included, runs on a worker thread."""
    try:
        received = await receive_file(request, page.services)
    except DomainError as exc:
        return await run_in_threadpool(_register_page, page, upload_form={}, error=exc)
    return await run_in_threadpool(_upload_and_register, page, received)
