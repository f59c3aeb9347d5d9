"""Document pages for everyone signed in, archivists first: search with filters
(``/buscar``), a document's page (``/documentos/{id}``: its facts, registry numbers and
cases, every version to download, its signatures, previews of its first pages, and for
officials a signing form, and its filing in the archive: a document outside any dossier
is filed, lent and held from its page, whose forms ``archive_document_pages`` answers), two
versions' previews side by side (``/comparar``), and the page previews themselves.

What a user may see is decided by the same services as the API: a document they may not
read is "not found", as there."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy import select

from docsvc.archival import archive_transfers, classification, holdings
from docsvc.archival.holds import HOLD_ROLES
from docsvc.archival.schemas import HoldingOut, NodeOut
from docsvc.deps import DbSession, ServicesDep
from docsvc.documents import previews
from docsvc.documents import service as documents
from docsvc.documents.access import can_author
from docsvc.documents.schemas import DocumentFilter
from docsvc.errors import DomainError, InvalidInput, NotFound
from docsvc.models import (
    ArchivePhase,
    Document,
    DocumentType,
    DocumentVersion,
    DossierItem,
    RegisterEntry,
    Role,
)
from docsvc.organisation import repository as organisation
from docsvc.signatures import service as signatures
from docsvc.signatures.schemas import SignIn
from docsvc.web.dossier_pages import ARCHIVED, FILEABLE_LEVELS, LOAN_ROLES
from docsvc.web.page import FormDep, Page, PageDep, WebSession

router = APIRouter(include_in_schema=False)
PREVIEW_PAGES = 3
DOC_TYPES = tuple(doc_type.value for doc_type in DocumentType)
LEVELS = ("confidential", "internal", "public")
NOTICES = (
    "signed",
    "uploaded",
    "version_added",
    "filed",
    "loan_requested",
    "hold_placed",
    "trigger_recorded",
)


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
        **_archive_section(page, readable),
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
        notice=page.notice(NOTICES),
    )


def _archive_section(page: Page, document: Document) -> dict[str, Any]:
    """What the document's page shows of its filing in the archive, as the dossier's page
    does for a dossier: a document in a dossier is filed with it (its page links to the
    dossier's filing); one outside any dossier is filed on its own by its office or an
    archivist, under a series of the scheme's latest version that takes its type."""
    db, actor = page.db, page.actor
    in_dossier = db.scalar(
        select(DossierItem.dossier_id)
        .where(DossierItem.document_id == document.id)
        .order_by(DossierItem.added_at)
        .limit(1)
    )
    if in_dossier is not None:
        return {"in_dossier": in_dossier, "holding": None}
    holding = holdings.holding_of(db, document_id=document.id)
    # Sent to the archive and acknowledged from its inbox: in the central archive now.
    if (
        holding is not None
        and holding.phase == ArchivePhase.office.value
        and archive_transfers.receive_acknowledged(db, page.services)
    ):
        holding = holdings.holding_of(db, document_id=document.id)
    may_file = (
        can_author(actor, document.owning_department_id) or actor.has_any(Role.archivist)
    ) and (holding is None or holding.phase == ArchivePhase.office.value)
    series = _series_for(page, document.doc_type) if may_file else None
    return {
        "in_dossier": None,
        "holding": holding,
        "series": series or [],
        "series_hint": True,
        # The scheme has series, none of which takes this document's type.
        "no_series_for_type": series == [],
        **_archive_actions(page, document, holding),
    }


def _series_for(page: Page, doc_type: str) -> list[NodeOut] | None:
    """The series and subseries of the scheme's latest version that take documents of
    this type (None without a scheme)."""
    latest = classification.current(page.db)
    if latest is None:
        return None
    scheme = classification.scheme_of(latest)
    return [
        node
        for node in classification.version_out(page.db, latest).nodes
        if node.level in FILEABLE_LEVELS and scheme.allows(node.code, doc_type)
    ]


def _archive_actions(page: Page, document: Document, holding: HoldingOut | None) -> dict[str, bool]:
    actor = page.actor
    return {
        # Another office that reads it asks for it (its own office reads it anyway).
        "may_request_loan": holding is not None
        and holding.phase in ARCHIVED
        and actor.has_any(*LOAN_ROLES)
        and not actor.has_any(Role.archivist)
        and actor.department_id != document.owning_department_id,
        "may_hold": holding is not None
        and holding.phase != ArchivePhase.disposed.value
        and actor.has_any(*HOLD_ROLES),
    }


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
