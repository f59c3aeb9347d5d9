"""Archival packages beyond one dossier, and imports, from the pages.

- ``/archivo/paquetes``: archivists ask for the E-ARK package of a case, a series or an
  official's records (a handover), follow its job and download it
  (``docsvc.archival.export_jobs``); a dossier's own package is asked for on its page.
- ``/archivo/importaciones``: archivists send another institution's E-ARK package or ENI
  expediente, follow its job, and read its verdict, each document's verdict beside the
  origin's, and the origin's register proofs checked again (``import_jobs``, ``imports``).
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from docsvc.archival import export_jobs, import_jobs
from docsvc.archival.imports import origin_evidence
from docsvc.attachments import streamed_zip
from docsvc.documents.uploads import receive_multipart
from docsvc.errors import DomainError, InvalidInput
from docsvc.locale.labels import package_line_label
from docsvc.models import Document, Dossier, ImportStatus
from docsvc.web.page import FormDep, Page, PageDep, page_translator

router = APIRouter(include_in_schema=False)
NOTICES = ("import_requested",)
PACKAGE_NOTICES = ("export_requested",)


def _packages_page(
    page: Page, error: DomainError | None = None, chosen: dict[str, str] | None = None
) -> Response:
    return page.render(
        "archive_packages.html",
        error=error,
        notice=page.notice(PACKAGE_NOTICES),
        exports=export_jobs.recent_exports(page.db, page.actor),
        chosen=chosen or {"scope": "case", "id": ""},
    )


@router.get("/archivo/paquetes", response_model=None)
def packages_page(page: PageDep) -> Response:
    return _packages_page(page)


@router.post("/archivo/paquetes", response_model=None)
def ask_for_package(page: PageDep, form: FormDep) -> Response:
    """The package of a case, a series or an official (``scope``, ``id``)."""
    chosen = {"scope": form.get("scope", ""), "id": form.get("id", "").strip()[:300]}
    return page.act(
        form.get("csrf_token"),
        lambda: export_jobs.request_scope_export(
            page.db, page.services, page.actor, chosen["scope"], chosen["id"]
        ),
        "/archivo/paquetes?hecho=export_requested",
        lambda exc: _packages_page(page, exc, chosen),
    )


@router.get("/archivo/paquetes/{export_id}.zip", response_model=None)
def download_package(export_id: uuid.UUID, page: PageDep) -> StreamingResponse:
    export, chunks = export_jobs.download(page.db, page.services, page.actor, None, export_id)
    return streamed_zip(chunks, export.size, export_jobs.file_name(export))


def _list_page(page: Page, error: DomainError | None = None) -> Response:
    return page.render(
        "archive_imports.html",
        error=error,
        notice=page.notice(NOTICES),
        imports=import_jobs.imports_for(page.db, page.actor),
    )


@router.get("/archivo/importaciones", response_model=None)
def imports_page(page: PageDep) -> Response:
    return _list_page(page)


def _request(page: Page, form_fields: dict[str, str], upload: object) -> Response:
    made: list[uuid.UUID] = []

    def send() -> None:
        from docsvc.documents.uploads import ReceivedFile

        if not isinstance(upload, ReceivedFile) or upload.size == 0:
            raise InvalidInput("Choose the package's file.", code="package_missing")
        record = import_jobs.request_import(
            page.db, page.services, page.actor, upload, form_fields.get("register_key", "")
        )
        made.append(record.id)

    return page.act(
        form_fields.get("csrf_token"),
        send,
        lambda: f"/archivo/importaciones/{made[0]}?hecho=import_requested",
        lambda exc: _list_page(page, exc),
    )


@router.post("/archivo/importaciones", response_model=None)
async def send_package(request: Request, page: PageDep) -> Response:
    """A package to import (multipart: ``file``, ``register_key``), streamed to disk
    within the packages' size limit."""
    try:
        import_jobs.new_import(page.actor, "")
        received = await receive_multipart(
            request.headers.get("content-type"),
            request.stream(),
            tmp_dir=page.settings.upload_tmp_dir,
            max_file_bytes=page.settings.max_package_bytes,
        )
    except DomainError as exc:
        return await run_in_threadpool(_list_page, page, exc)
    try:
        return await run_in_threadpool(_request, page, dict(received.fields), received.file)
    finally:
        received.discard()


@router.get("/archivo/importaciones/{import_id}", response_model=None)
def import_page(import_id: uuid.UUID, page: PageDep) -> Response:
    db = page.db
    record = import_jobs.get_import(db, page.actor, import_id)
    documents = []
    for item in import_jobs.imported_documents(db, record.id):
        document = db.get(Document, item.document_id)
        documents.append((item, document.title if document is not None else item.origin_id))
    evidence = (
        origin_evidence(db, page.services, record)
        if record.status == ImportStatus.done.value
        else None
    )
    t = page_translator(page.request, page.services)
    coded = (record.report or {}).get("lines", {})
    return page.render(
        "archive_import.html",
        notice=page.notice(NOTICES),
        record=record,
        report={
            kind: [
                package_line_label(t, str(line.get("code", "")), line.get("values", {}))
                for line in coded.get(kind, [])
            ]
            for kind in ("checked", "problems", "doubts")
        },
        documents=documents,
        dossiers=[
            d
            for d in (db.get(Dossier, uuid.UUID(i)) for i in record.dossier_ids or [])
            if d is not None
        ],
        evidence=evidence,
        evidence_problems=[
            package_line_label(t, line.code, dict(line.values))
            for line in (evidence.problems if evidence is not None else ())
        ],
        percent=min(100, round(100 * record.done / record.total)) if record.total else 0,
        running=record.status in (ImportStatus.queued.value, ImportStatus.running.value),
    )


@router.get("/archivo/importaciones/{import_id}/expediente", response_model=None)
def imported_dossier(import_id: uuid.UUID, page: PageDep) -> Response:
    record = import_jobs.get_import(page.db, page.actor, import_id)
    target = f"/expedientes/{record.dossier_id}" if record.dossier_id else "/archivo/importaciones"
    return RedirectResponse(target, status_code=303)
