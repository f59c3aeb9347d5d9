"""Drafts and versions from the pages: upload a document (type, title, subject,
confidentiality, and the dossier it joins), add a new version with its reason, and
download any version, all with the web session and without the API.

Uploads stream to disk before anything else (``documents.api.receive_file``), so their
handlers are async; the database work runs on a worker thread. A refused form comes back
filled in, with the reason in the page's language."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from docsvc.documents import service as documents
from docsvc.documents.api import download_response, receive_file
from docsvc.documents.schemas import DocumentMetadataIn
from docsvc.documents.uploads import ReceivedForm
from docsvc.dossiers import service as dossier_service
from docsvc.errors import DomainError, InvalidInput
from docsvc.models import Confidentiality, DocumentType, DossierStatus
from docsvc.web.document_pages import render_document
from docsvc.web.page import Page, PageDep

router = APIRouter(include_in_schema=False)


def _new_document_page(
    page: Page, *, form: dict[str, str] | None = None, error: DomainError | None = None
) -> Response:
    listed = dossier_service.list_dossiers(page.db, page.actor, 200, 0)
    return page.render(
        "document_new.html",
        error=error,
        form=form or {"dossier_id": page.request.query_params.get("expediente", "")},
        doc_types=list(DocumentType),
        confidentialities=list(Confidentiality),
        dossiers=[d for d in listed.items if d.status == DossierStatus.open.value],
    )


@router.get("/documentos/nuevo", response_model=None)
def new_document_form(page: PageDep) -> Response:
    return _new_document_page(page)


def _metadata(fields: dict[str, str]) -> DocumentMetadataIn:
    try:
        return DocumentMetadataIn.model_validate(
            {
                "doc_type": fields.get("doc_type", ""),
                "title": fields.get("title", "").strip(),
                "subject": fields.get("subject", "").strip(),
                "confidentiality": fields.get("confidentiality", "internal"),
            }
        )
    except ValidationError as exc:
        names = ", ".join(str(e["loc"][-1]) for e in exc.errors() if e["loc"])
        raise InvalidInput(f"Check these fields: {names}.", code="form_invalid") from exc


def _dossier_field(fields: dict[str, str]) -> uuid.UUID | None:
    try:
        return uuid.UUID(fields["dossier_id"]) if fields.get("dossier_id") else None
    except ValueError as exc:
        raise InvalidInput("Choose a dossier from the list.", code="form_invalid") from exc


def _create(page: Page, received: ReceivedForm) -> Response:
    fields = dict(received.fields)
    made: list[uuid.UUID] = []

    def create() -> None:
        metadata, dossier_id = _metadata(fields), _dossier_field(fields)
        assert received.file is not None
        document = documents.create_document(
            page.db, page.services.store, page.settings, page.actor, metadata, received.file
        )
        if dossier_id is not None:
            dossier_service.add_document(page.db, page.actor, dossier_id, document.id)
        made.append(document.id)

    try:
        return page.act(
            fields.get("csrf_token"),
            create,
            lambda: f"/documentos/{made[0]}?hecho=uploaded",
            lambda exc: _new_document_page(page, form=fields, error=exc),
        )
    finally:
        received.discard()


@router.post("/documentos/nuevo", response_model=None)
async def upload_document(request: Request, page: PageDep) -> Response:
    """A new document from a PDF (multipart: ``file``, ``title``, ``doc_type``,
    ``subject``, ``confidentiality``, ``dossier_id``)."""
    try:
        received = await receive_file(request, page.services)
    except DomainError as exc:
        return await run_in_threadpool(_new_document_page, page, error=exc)
    return await run_in_threadpool(_create, page, received)


def _add_version(page: Page, document_id: uuid.UUID, received: ReceivedForm) -> Response:
    fields = dict(received.fields)

    def add() -> None:
        assert received.file is not None
        documents.add_version(
            page.db,
            page.services.store,
            page.settings,
            page.actor,
            document_id,
            received.file,
            fields.get("reason", ""),
        )

    try:
        return page.act(
            fields.get("csrf_token"),
            add,
            f"/documentos/{document_id}?hecho=version_added",
            lambda exc: render_document(page, document_id, exc),
        )
    finally:
        received.discard()


@router.post("/documentos/{document_id}/versiones", response_model=None)
async def upload_version(document_id: uuid.UUID, request: Request, page: PageDep) -> Response:
    """A new version of the document (multipart: ``file`` and ``reason``)."""
    try:
        received = await receive_file(request, page.services)
    except DomainError as exc:
        return await run_in_threadpool(render_document, page, document_id, exc)
    return await run_in_threadpool(_add_version, page, document_id, received)


@router.get("/documentos/{document_id}/descargar", response_model=None)
def download_latest(document_id: uuid.UUID, page: PageDep) -> StreamingResponse:
    download = documents.prepare_download(page.db, page.actor, document_id, None)
    return download_response(page.services, download)


@router.get("/documentos/{document_id}/versiones/{number}/descargar", response_model=None)
def download_version(
    document_id: uuid.UUID,
    number: Annotated[int, Path(ge=1, le=1_000_000)],
    page: PageDep,
) -> StreamingResponse:
    download = documents.prepare_download(page.db, page.actor, document_id, number)
    return download_response(page.services, download)
