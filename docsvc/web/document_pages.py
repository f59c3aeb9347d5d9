"""Document pages for everyone signed in, archivists first: search with filters
(``/buscar``), a document's page (``/documentos/{id}``: its facts, registry numbers and
cases, every version to download, its signatures, previews of its first pages, and for
officials a signing form), two versions' previews side by side (``/comparar``), and the
page previews themselves.

What a user may see is decided by the same services as the API: a document they may not
read is "not found", as there."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy import select

from docsvc.deps import DbSession, ServicesDep
from docsvc.documents import previews
from docsvc.documents import service as documents
from docsvc.documents.access import can_author
from docsvc.documents.schemas import DocumentFilter
from docsvc.errors import DomainError, InvalidInput, NotFound
from docsvc.models import DocumentType, DocumentVersion, RegisterEntry
from docsvc.organisation import repository as organisation
from docsvc.signatures import service as signatures
from docsvc.signatures.schemas import SignIn
from docsvc.web.page import FormDep, Page, PageDep, WebSession

router = APIRouter(include_in_schema=False)
PREVIEW_PAGES = 3
DOC_TYPES = tuple(doc_type.value for doc_type in DocumentType)
LEVELS = ("confidential", "internal", "public")


def _day(value: str, end: bool) -> datetime | None:
    if not value:
        return None
    day = datetime.fromisoformat(value).date()
    return datetime.combine(day, time.max if end else time.min, tzinfo=UTC)


@router.get("/buscar", response_model=None)
def search(page: PageDep) -> Response:
    query = page.request.query_params
    error = None
    found = None
    try:
        flt = DocumentFilter(
            q=query.get("q") or None,
            doc_type=query.get("doc_type") or None,
            confidentiality=query.get("confidentiality") or None,
            department=query.get("department") or None,
            created_from=_day(query.get("from", ""), end=False),
            created_to=_day(query.get("to", ""), end=True),
            limit=50,
            offset=max(0, int(query.get("offset", "0") or 0)),
        )
        found = documents.list_documents(page.db, page.actor, flt)
    except (ValidationError, ValueError):
        error = InvalidInput("Check the form's fields.", code="form_invalid")
    return page.render(
        "search.html",
        error=error,
        status=400 if error else 200,
        page=found,
        query=dict(query),
        departments=organisation.departments(page.db),
        doc_types=DOC_TYPES,
        levels=LEVELS,
    )


def render_document(
    page: Page, document_id: uuid.UUID, error: DomainError | None = None
) -> Response:
    """The document's page; ``error`` says why the last action on it was refused."""
    db, actor = page.db, page.actor
    document = documents.get_document(db, actor, document_id)
    entries = list(
        db.scalars(
            select(RegisterEntry)
            .where(RegisterEntry.document_id == document_id)
            .order_by(RegisterEntry.registered_at)
        )
    )
    readable = documents.readable_document(db, actor, document_id)
    return page.render(
        "document.html",
        error=error,
        document=document,
        entries=entries,
        signatures=signatures.list_signatures(db, actor, document_id),
        names=organisation.usernames(db),
        code=readable.verification_code,
        previews=range(1, min(PREVIEW_PAGES, document.latest_version.pages or 1) + 1),
        # The signing form only for those who may sign it (the service checks it again).
        official=signatures.may_sign(db, page.services, actor, readable),
        # The new-version form for the owning department (the service checks it again).
        may_add_version=can_author(actor, readable.owning_department_id),
        notice=page.notice(("signed", "uploaded", "version_added")),
    )


@router.get("/documentos/{document_id}", response_model=None)
def document_page(document_id: uuid.UUID, page: PageDep) -> Response:
    # A record the reader may not see is answered as one that is not there: the error page
    # says so, where a silent return to the search would leave her guessing.
    return render_document(page, document_id)


def _version_number(value: str | None, known: list[int], fallback: int) -> int:
    try:
        number = int(value or "")
    except ValueError:
        return fallback
    return number if number in known else fallback


@router.get("/documentos/{document_id}/comparar", response_model=None)
def compare_versions(document_id: uuid.UUID, page: PageDep) -> Response:
    """Two versions' first pages side by side (by default the one before the latest and
    the latest), each with the stamps of the signatures it carries."""
    document = documents.get_document(page.db, page.actor, document_id)
    versions = sorted(document.versions or [document.latest_version], key=lambda v: v.number)
    known = [v.number for v in versions]
    query = page.request.query_params
    later = _version_number(query.get("b"), known, known[-1])
    earlier = _version_number(query.get("a"), known, known[-2] if len(known) > 1 else known[0])
    shown = [next(v for v in versions if v.number == n) for n in (earlier, later)]
    return page.render(
        "compare.html",
        document=document,
        versions=versions,
        shown=shown,
        pages=[range(1, min(PREVIEW_PAGES, v.pages or 1) + 1) for v in shown],
    )


@router.post("/documentos/{document_id}/firmar", response_model=None)
def sign_document(document_id: uuid.UUID, page: PageDep, form: FormDep) -> Response:
    request_in = SignIn(pin=form.get("pin") or None, visible=True)
    return page.act(
        form.get("csrf_token"),
        lambda: signatures.sign_document(
            page.db, page.services, page.actor, document_id, request_in
        ),
        f"/documentos/{document_id}?hecho=signed",
        lambda exc: render_document(page, document_id, exc),
    )


@router.get("/documentos/{document_id}/versiones/{number}/paginas/{page}.png", response_model=None)
def page_preview(
    document_id: uuid.UUID,
    number: int,
    page: int,
    db: DbSession,
    services: ServicesDep,
    session: WebSession,
) -> Response:
    if session is None:
        return Response(status_code=401)
    actor, _ = session
    documents.readable_document(db, actor, document_id)
    version = db.scalar(
        select(DocumentVersion).where(
            DocumentVersion.document_id == document_id, DocumentVersion.number == number
        )
    )
    if version is None:
        raise NotFound("No such version.", code="version_not_found")
    documents.require_content(db, document_id)
    png = previews.preview_png(services, version, page)
    return Response(
        png,
        media_type="image/png",
        headers={"Cache-Control": "private, max-age=86400"},
    )
