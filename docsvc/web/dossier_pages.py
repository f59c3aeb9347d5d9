"""Dossiers from the pages: open one, add documents and put them in order, ask for
signatures over it (the signing-line builder is ``line_pages``), follow its signing lines
(resubmit a returned one, cancel one), and close it. What the owning department may do is
offered to it only; the services check it again."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import Response, StreamingResponse
from pydantic import ValidationError
from sqlalchemy import select

from docsvc.archival import (
    archive_transfers,
    classification,
    export_jobs,
    holdings,
    import_jobs,
)
from docsvc.archival.holds import HOLD_ROLES
from docsvc.archival.schemas import NodeOut
from docsvc.attachments import streamed_zip
from docsvc.documents import service as documents
from docsvc.documents.access import can_author
from docsvc.documents.schemas import DocumentFilter
from docsvc.dossiers import service as dossier_service
from docsvc.dossiers.schemas import DossierIn, SealStatus
from docsvc.errors import DomainError, InvalidInput
from docsvc.models import ArchivePhase, Confidentiality, DossierStatus, RegisterEntry, Role
from docsvc.register import service as register
from docsvc.signing_lines import seal_jobs
from docsvc.signing_lines import service as lines
from docsvc.web.page import FormDep, Page, PageDep

router = APIRouter(include_in_schema=False)
FILEABLE_LEVELS = ("series", "subseries")
NOTICES = (
    "export_requested",
    "dossier_created",
    "document_added",
    "moved",
    "closed",
    "seal_requested",
    "line_created",
    "resubmitted",
    "cancelled",
    "filed",
    "trigger_recorded",
    "loan_requested",
    "hold_placed",
)
# Who asks the archive for a loan of a record it holds (archivists read it anyway).
LOAN_ROLES = (Role.official, Role.legal, Role.registry_clerk)
ARCHIVED = (ArchivePhase.central.value, ArchivePhase.historical.value)


def _dossiers_page(
    page: Page, *, form: dict[str, str] | None = None, error: DomainError | None = None
) -> Response:
    listed = dossier_service.list_dossiers(page.db, page.actor, 200, 0)
    return page.render(
        "dossiers.html",
        error=error,
        page=listed,
        form=form or {},
        confidentialities=list(Confidentiality),
    )


@router.get("/expedientes", response_model=None)
def dossiers(page: PageDep) -> Response:
    return _dossiers_page(page)


def _dossier_in(form: dict[str, str]) -> DossierIn:
    try:
        return DossierIn(
            title=form.get("title", "").strip(),
            subject=form.get("subject", "").strip(),
            confidentiality=form.get("confidentiality", "internal"),
        )
    except ValidationError as exc:
        names = ", ".join(str(e["loc"][-1]) for e in exc.errors() if e["loc"])
        raise InvalidInput(f"Check these fields: {names}.", code="form_invalid") from exc


@router.post("/expedientes", response_model=None)
def create_dossier(page: PageDep, form: FormDep) -> Response:
    made: list[uuid.UUID] = []
    return page.act(
        form.get("csrf_token"),
        lambda: made.append(
            dossier_service.create_dossier(page.db, page.actor, _dossier_in(form)).id
        ),
        lambda: f"/expedientes/{made[0]}?hecho=dossier_created",
        lambda exc: _dossiers_page(page, form=form, error=exc),
    )


def render_dossier(page: Page, dossier_id: uuid.UUID, error: DomainError | None = None) -> Response:
    """The dossier's page (else the 404 page); ``error`` says why an action was refused."""
    db, actor = page.db, page.actor
    dossier = dossier_service.get_dossier(db, actor, dossier_id)
    readable = dossier_service.readable_dossier(db, actor, dossier_id)
    entries = list(
        db.scalars(
            select(RegisterEntry)
            .where(RegisterEntry.dossier_id == dossier_id)
            .order_by(RegisterEntry.registered_at)
        )
    )
    author = can_author(actor, readable.owning_department_id)
    editable = (
        author
        and dossier.status == DossierStatus.open.value
        and dossier.sealed_index_id is None
        and dossier.seal_status is None
    )
    inside = {item.document_id for item in dossier.items}
    addable = []
    if editable:
        listed = documents.list_documents(db, actor, DocumentFilter(limit=200))
        addable = [d for d in listed.items if d.id not in inside]
    # Its filing in the archive; its office or an archivist files it, or files it again
    # while it is in the office archive, under a series of the scheme's latest version.
    holding = holdings.holding_of(db, dossier_id=dossier_id)
    # Sent to the archive and acknowledged from its inbox: in the central archive now.
    if (
        holding is not None
        and holding.phase == ArchivePhase.office.value
        and archive_transfers.receive_acknowledged(db, page.services)
    ):
        holding = holdings.holding_of(db, dossier_id=dossier_id)
    if (
        holding is not None
        and holding.central_on is None
        and dossier.status == DossierStatus.closed.value
    ):
        # Closed since it was filed: the table in force gives it its dates now.
        holdings.refresh_schedules(db, page.settings)
        holding = holdings.holding_of(db, dossier_id=dossier_id)
    series: list[NodeOut] = []
    latest = classification.current(db)
    if (
        latest is not None
        and (author or actor.has_any(Role.archivist))
        and (holding is None or holding.phase == ArchivePhase.office.value)
    ):
        series = [
            node
            for node in classification.version_out(db, latest).nodes
            if node.level in FILEABLE_LEVELS
        ]
    return page.render(
        "dossier.html",
        error=error,
        dossier=dossier,
        entries=entries,
        numbers=register.registry_numbers(db, list(inside)),
        editable=editable,
        may_close=dossier.status == DossierStatus.open.value and author,
        may_seal=dossier.seal_status is SealStatus.needs_pin
        and Role.official in actor.roles
        and (author or (readable.seal_request or {}).get("by") == str(actor.user_id)),
        addable=addable,
        lines=lines.lines_for(db, actor, dossier_id=dossier_id),
        notice=page.notice(NOTICES),
        holding=holding,
        series=series,
        # Another office that reads it asks for it (its own office reads it anyway).
        may_request_loan=holding is not None
        and holding.phase in ARCHIVED
        and actor.has_any(*LOAN_ROLES)
        and not actor.has_any(Role.archivist)
        and actor.department_id != readable.owning_department_id,
        may_hold=holding is not None
        and holding.phase != ArchivePhase.disposed.value
        and actor.has_any(*HOLD_ROLES),
        provenance=import_jobs.import_of_dossier(db, dossier_id),
        may_see_import=actor.has_any(*import_jobs.IMPORTERS),
        may_export=actor.has_any(*export_jobs.EXPORTERS),
        exports=export_jobs.exports_of(db, dossier_id)
        if actor.has_any(*export_jobs.EXPORTERS)
        else [],
    )


@router.get("/expedientes/{dossier_id}", response_model=None)
def dossier_page(dossier_id: uuid.UUID, page: PageDep) -> Response:
    return render_dossier(page, dossier_id)


@router.post("/expedientes/{dossier_id}/sellar", response_model=None)
def seal_dossier(dossier_id: uuid.UUID, page: PageDep, form: FormDep) -> Response:
    """Seal a dossier whose seal waits for a PIN (``seal_jobs.seal_again``)."""
    return page.act(
        form.get("csrf_token"),
        lambda: seal_jobs.seal_again(
            page.db, page.services, page.actor, dossier_id, form.get("pin", "")
        ),
        f"/expedientes/{dossier_id}?hecho=seal_requested",
        lambda exc: render_dossier(page, dossier_id, exc),
    )


@router.post("/expedientes/{dossier_id}/exportar", response_model=None)
def export_dossier(dossier_id: uuid.UUID, page: PageDep, form: FormDep) -> Response:
    """Ask for the dossier's archival package (archivists); a job makes it."""
    return page.act(
        form.get("csrf_token"),
        lambda: export_jobs.request_export(
            page.db, page.services, page.actor, dossier_id, form.get("format", "eark")
        ),
        f"/expedientes/{dossier_id}?hecho=export_requested#paquete",
        lambda exc: render_dossier(page, dossier_id, exc),
    )


@router.get("/expedientes/{dossier_id}/paquetes/{export_id}.zip", response_model=None)
def download_package(
    dossier_id: uuid.UUID, export_id: uuid.UUID, page: PageDep
) -> StreamingResponse:
    export, chunks = export_jobs.download(page.db, page.services, page.actor, dossier_id, export_id)
    return streamed_zip(chunks, export.size, export_jobs.file_name(export))


def _document_field(form: dict[str, str]) -> uuid.UUID:
    try:
        return uuid.UUID(form.get("document_id", ""))
    except ValueError as exc:
        raise InvalidInput("Choose a document from the list.", code="form_invalid") from exc


@router.post("/expedientes/{dossier_id}/documentos", response_model=None)
def add_document(dossier_id: uuid.UUID, page: PageDep, form: FormDep) -> Response:
    return page.act(
        form.get("csrf_token"),
        lambda: dossier_service.add_document(
            page.db, page.actor, dossier_id, _document_field(form)
        ),
        f"/expedientes/{dossier_id}?hecho=document_added",
        lambda exc: render_dossier(page, dossier_id, exc),
    )


@router.post("/expedientes/{dossier_id}/documentos/{document_id}/mover", response_model=None)
def move_document(
    dossier_id: uuid.UUID, document_id: uuid.UUID, page: PageDep, form: FormDep
) -> Response:
    def move() -> None:
        try:
            position = int(form.get("position", ""))
        except ValueError as exc:
            raise InvalidInput("The place is a number.", code="form_invalid") from exc
        dossier_service.move_document(page.db, page.actor, dossier_id, document_id, position)

    return page.act(
        form.get("csrf_token"),
        move,
        f"/expedientes/{dossier_id}?hecho=moved#documentos",
        lambda exc: render_dossier(page, dossier_id, exc),
    )


@router.post("/expedientes/{dossier_id}/cerrar", response_model=None)
def close_dossier(dossier_id: uuid.UUID, page: PageDep, form: FormDep) -> Response:
    return page.act(
        form.get("csrf_token"),
        lambda: dossier_service.close_dossier(page.db, page.actor, dossier_id),
        f"/expedientes/{dossier_id}?hecho=closed",
        lambda exc: render_dossier(page, dossier_id, exc),
    )
