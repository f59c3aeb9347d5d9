"""Document pages for everyone signed in, archivists first: search with filters
(``/buscar``), a document's page (``/documentos/{id}``: its facts, registry numbers and
cases, every version to download, its signatures, previews of its first pages, and for
officials a signing form), and the page previews themselves.

What a user may see is decided by the same services as the API: a document they may not
read is "not found", as there."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from docsvc.deps import DbSession, ServicesDep
from docsvc.documents import previews
from docsvc.documents import service as documents
from docsvc.documents.schemas import DocumentFilter
from docsvc.dossiers import service as dossier_service
from docsvc.errors import DomainError, NotFound
from docsvc.identity.actor import Actor
from docsvc.models import AuthSession, DocumentVersion, RegisterEntry
from docsvc.organisation import repository as organisation
from docsvc.register import service as register
from docsvc.services import Services
from docsvc.signatures import service as signatures
from docsvc.signatures.schemas import SignIn
from docsvc.web.i18n import language_of, translator
from docsvc.web.pages import SignedIn, WebSession, error_text, read_form, render, require_csrf

router = APIRouter(include_in_schema=False)
FormDep = Annotated[dict[str, str], Depends(read_form)]
PREVIEW_PAGES = 3
DOC_TYPES = ("letter", "resolution", "request", "payment_order", "report", "other")
LEVELS = ("confidential", "internal", "public")


def _day(value: str, end: bool) -> datetime | None:
    if not value:
        return None
    day = datetime.fromisoformat(value).date()
    return datetime.combine(day, time.max if end else time.min, tzinfo=UTC)


@router.get("/buscar", response_model=None)
def search(request: Request, db: DbSession, services: ServicesDep, session: SignedIn) -> Response:
    actor, auth_session = session
    query = request.query_params
    error = None
    page = None
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
        page = documents.list_documents(db, actor, flt)
    except (ValidationError, ValueError):
        t = translator(language_of(request, services.settings.default_language))
        error = t("form_invalid")
    return render(
        request,
        services,
        "search.html",
        400 if error else 200,
        actor=actor,
        csrf_token=auth_session.csrf_token,
        page=page,
        query=dict(query),
        departments=organisation.departments(db),
        doc_types=DOC_TYPES,
        levels=LEVELS,
        error=error,
    )


def _document_page(
    request: Request,
    db: Session,
    services: Services,
    actor: Actor,
    auth_session: AuthSession,
    document_id: uuid.UUID,
    error: DomainError | None = None,
) -> Response:
    document = documents.get_document(db, actor, document_id)
    names = organisation.usernames(db)
    entries = list(
        db.scalars(
            select(RegisterEntry)
            .where(RegisterEntry.document_id == document_id)
            .order_by(RegisterEntry.registered_at)
        )
    )
    readable = documents.readable_document(db, actor, document_id)
    return render(
        request,
        services,
        "document.html",
        error.status_code if error else 200,
        actor=actor,
        csrf_token=auth_session.csrf_token,
        document=document,
        entries=entries,
        signatures=signatures.list_signatures(db, actor, document_id),
        names=names,
        code=readable.verification_code,
        previews=range(1, min(PREVIEW_PAGES, document.latest_version.pages or 1) + 1),
        # The signing form only for those who may sign it (the service checks it again).
        official=signatures.may_sign(db, actor, readable),
        notice="signed" if request.query_params.get("hecho") == "signed" else None,
        error=error_text(request, services, error) if error else None,
    )


@router.get("/documentos/{document_id}", response_model=None)
def document_page(
    request: Request,
    document_id: uuid.UUID,
    db: DbSession,
    services: ServicesDep,
    session: SignedIn,
) -> Response:
    actor, auth_session = session
    try:
        return _document_page(request, db, services, actor, auth_session, document_id)
    except NotFound:
        return RedirectResponse("/buscar", status_code=303)


@router.post("/documentos/{document_id}/firmar", response_model=None)
async def sign_document(
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
        request_in = SignIn(pin=form.get("pin") or None, visible=True)
        await run_in_threadpool(
            signatures.sign_document,
            db,
            services,
            services.signing,
            actor,
            document_id,
            request_in,
        )
    except DomainError as exc:
        db.rollback()
        return _document_page(request, db, services, actor, auth_session, document_id, exc)
    return RedirectResponse(f"/documentos/{document_id}?hecho=signed", status_code=303)


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
    png = previews.preview_png(services, version, page)
    return Response(
        png,
        media_type="image/png",
        headers={"Cache-Control": "private, max-age=86400"},
    )


@router.get("/expedientes", response_model=None)
def dossiers(request: Request, db: DbSession, services: ServicesDep, session: SignedIn) -> Response:
    actor, auth_session = session
    return render(
        request,
        services,
        "dossiers.html",
        actor=actor,
        csrf_token=auth_session.csrf_token,
        page=dossier_service.list_dossiers(db, actor, 200, 0),
    )


@router.get("/expedientes/{dossier_id}", response_model=None)
def dossier_page(
    request: Request,
    dossier_id: uuid.UUID,
    db: DbSession,
    services: ServicesDep,
    session: SignedIn,
) -> Response:
    actor, auth_session = session
    try:
        dossier = dossier_service.get_dossier(db, actor, dossier_id)
    except NotFound:
        return RedirectResponse("/expedientes", status_code=303)
    entries = list(
        db.scalars(
            select(RegisterEntry)
            .where(RegisterEntry.dossier_id == dossier_id)
            .order_by(RegisterEntry.registered_at)
        )
    )
    return render(
        request,
        services,
        "dossier.html",
        actor=actor,
        csrf_token=auth_session.csrf_token,
        dossier=dossier,
        entries=entries,
        numbers=register.registry_numbers(db, [item.document_id for item in dossier.items]),
    )
