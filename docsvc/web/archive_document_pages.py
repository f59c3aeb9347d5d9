"""The archive from the page of a document outside any dossier (``/documentos/{id}``), as
a dossier's page does for a dossier (``archive_pages``, ``archive_lifecycle_pages``): its
office or an archivist files it under a series of the scheme's latest version that takes
its type, another office asks the archive for a loan of it once archived, and archivists
and legal staff place a legal hold on it. The rules are the services'
(``docsvc.archival``); a refusal shows the document's page again with the reason in the
page's language."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import Response

from docsvc.archival import holdings, holds, loans
from docsvc.archival.schemas import HoldingOut
from docsvc.web.archive_lifecycle_pages import MAX_SHORT_TEXT, text_field
from docsvc.web.document_pages import render_document
from docsvc.web.page import FormDep, Page, PageDep

router = APIRouter(include_in_schema=False)


def _page_of(document_id: uuid.UUID, done: str) -> str:
    return f"/documentos/{document_id}?hecho={done}#archivo"


def _document_holding(page: Page, document_id: uuid.UUID) -> HoldingOut:
    return holdings.readable_holding(page.db, page.actor, document_id=document_id)


@router.post("/documentos/{document_id}/clasificar", response_model=None)
def file_document(document_id: uuid.UUID, page: PageDep, form: FormDep) -> Response:
    """File (or, in the office archive, refile) a document outside any dossier under a
    series of the latest scheme that takes its type: its office or an archivist."""
    return page.act(
        form.get("csrf_token"),
        lambda: holdings.file_record(
            page.db, page.actor, form.get("series_code", ""), document_id=document_id
        ),
        _page_of(document_id, "filed"),
        lambda exc: render_document(page, document_id, exc),
    )


@router.post("/documentos/{document_id}/prestamo", response_model=None)
def request_document_loan(document_id: uuid.UUID, page: PageDep, form: FormDep) -> Response:
    """From an archived document's page: its reader's office asks for a loan of it."""
    return page.act(
        form.get("csrf_token"),
        lambda: loans.request_loan(
            page.db,
            page.actor,
            _document_holding(page, document_id).id,
            text_field(form, "reason"),
        ),
        _page_of(document_id, "loan_requested"),
        lambda exc: render_document(page, document_id, exc),
    )


@router.post("/documentos/{document_id}/retencion", response_model=None)
def place_document_hold(document_id: uuid.UUID, page: PageDep, form: FormDep) -> Response:
    """From a filed document's page: a legal hold on it (archivists and legal staff)."""
    return page.act(
        form.get("csrf_token"),
        lambda: holds.place_hold(
            page.db,
            page.services,
            page.actor,
            holding_id=_document_holding(page, document_id).id,
            series_code=None,
            reason=text_field(form, "reason"),
            authority=text_field(form, "authority", MAX_SHORT_TEXT),
            reference=text_field(form, "reference", MAX_SHORT_TEXT),
        ),
        _page_of(document_id, "hold_placed"),
        lambda exc: render_document(page, document_id, exc),
    )
