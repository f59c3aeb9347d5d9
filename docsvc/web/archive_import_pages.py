"""Importing another institution's archival package from the pages (``/archivo/
importaciones``): archivists send an E-ARK package or an ENI expediente, follow its job,
and read its verdict here, each document's verdict beside the origin's, and the origin's
register proofs checked again (``docsvc.archival.import_jobs``, ``imports``)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from docsvc.archival import import_jobs
from docsvc.archival.imports import origin_evidence
from docsvc.documents.uploads import receive_multipart
from docsvc.errors import DomainError, InvalidInput
from docsvc.locale.labels import package_line_label
from docsvc.models import Document, ImportStatus
from docsvc.web.page import Page, PageDep, page_translator

router = APIRouter(include_in_schema=False)
NOTICES = ("import_requested",)


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
        evidence=evidence,
        percent=min(100, round(100 * record.done / record.total)) if record.total else 0,
        running=record.status in (ImportStatus.queued.value, ImportStatus.running.value),
    )


@router.get("/archivo/importaciones/{import_id}/expediente", response_model=None)
def imported_dossier(import_id: uuid.UUID, page: PageDep) -> Response:
    record = import_jobs.get_import(page.db, page.actor, import_id)
    target = f"/expedientes/{record.dossier_id}" if record.dossier_id else "/archivo/importaciones"
    return RedirectResponse(target, status_code=303)
