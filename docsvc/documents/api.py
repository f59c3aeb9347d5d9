"""Document routes under /api/v1/documents."""

from __future__ import annotations

import uuid
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from docsvc.deps import ActorDep, DbSession, ServicesDep
from docsvc.documents import service
from docsvc.documents.schemas import DocumentFilter, DocumentMetadataIn, DocumentOut, DocumentPage
from docsvc.documents.uploads import ReceivedForm, receive_multipart
from docsvc.errors import InvalidInput, PayloadTooLarge
from docsvc.models import Confidentiality, DocumentType
from docsvc.request_limits import MULTIPART_OVERHEAD
from docsvc.services import Services

router = APIRouter(prefix="/api/v1/documents", tags=["documents"])

# The OpenAPI description of the multipart bodies (the routes read them as streams).
_FILE = {"type": "string", "format": "binary"}
_TEXT = {"type": "string"}


def _multipart(required: list[str], properties: dict[str, object]) -> dict[str, object]:
    schema = {"type": "object", "required": required, "properties": properties}
    return {
        "requestBody": {
            "required": True,
            "content": {"multipart/form-data": {"schema": schema}},
        }
    }


UPLOAD_BODY = _multipart(
    ["file", "doc_type", "title"],
    {
        "file": _FILE,
        "doc_type": {"type": "string", "enum": [t.value for t in DocumentType]},
        "title": _TEXT,
        "subject": _TEXT,
        "confidentiality": {"type": "string", "enum": [c.value for c in Confidentiality]},
    },
)
VERSION_BODY = _multipart(["file", "reason"], {"file": _FILE, "reason": _TEXT})
UPLOAD_FILE_ONLY = _multipart(["file"], {"file": _FILE})


async def receive_file(request: Request, services: Services) -> ReceivedForm:
    """A multipart upload with a ``file`` part, streamed to disk within the size limit."""
    return await _receive(request, services)


async def _receive(request: Request, services: Services) -> ReceivedForm:
    limit = services.settings.max_upload_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + MULTIPART_OVERHEAD:
        raise PayloadTooLarge(
            f"The upload is larger than the limit of {limit} bytes.", code="file_too_large"
        )
    form = await receive_multipart(
        request.headers.get("content-type"),
        request.stream(),
        tmp_dir=services.settings.upload_tmp_dir,
        max_file_bytes=limit,
    )
    if form.file is None:
        form.discard()
        raise InvalidInput("The form has no 'file' part.", code="file_missing")
    return form


@router.post("", status_code=201, openapi_extra=UPLOAD_BODY)
async def upload_document(
    request: Request, actor: ActorDep, db: DbSession, services: ServicesDep
) -> DocumentOut:
    """Upload a PDF as a new document (version 1)."""
    form = await _receive(request, services)
    try:
        try:
            metadata = DocumentMetadataIn.model_validate(form.fields)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            raise InvalidInput(f"{field}: {first['msg']}", code="invalid_metadata") from exc
        assert form.file is not None
        return await run_in_threadpool(
            service.create_document,
            db,
            services.store,
            services.settings,
            actor,
            metadata,
            form.file,
        )
    finally:
        form.discard()


@router.post("/{document_id}/versions", status_code=201, openapi_extra=VERSION_BODY)
async def upload_version(
    document_id: uuid.UUID,
    request: Request,
    actor: ActorDep,
    db: DbSession,
    services: ServicesDep,
) -> DocumentOut:
    """Add a new immutable version to a document."""
    form = await _receive(request, services)
    try:
        assert form.file is not None
        return await run_in_threadpool(
            service.add_version,
            db,
            services.store,
            services.settings,
            actor,
            document_id,
            form.file,
            form.fields.get("reason", ""),
        )
    finally:
        form.discard()


@router.get("")
def list_documents(
    actor: ActorDep, db: DbSession, flt: Annotated[DocumentFilter, Query()]
) -> DocumentPage:
    """Documents visible to the caller, newest first, with filters and pagination."""
    return service.list_documents(db, actor, flt)


@router.get("/{document_id}")
def get_document(document_id: uuid.UUID, actor: ActorDep, db: DbSession) -> DocumentOut:
    return service.get_document(db, actor, document_id)


def download_response(services: Services, download: service.Download) -> StreamingResponse:
    quoted = quote(download.filename, safe="")
    return StreamingResponse(
        service.stream_download(services.store, download),
        media_type=download.media_type,
        headers={
            "Content-Length": str(download.size),
            # An ASCII fallback name plus the real one (RFC 6266), so that no client ever
            # sees raw non-ASCII or quote characters in the header.
            "Content-Disposition": (
                f"attachment; filename=\"document.pdf\"; filename*=UTF-8''{quoted}"
            ),
            "ETag": f'"{download.sha256}"',
            "X-Content-SHA256": download.sha256,
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


@router.get("/{document_id}/content", response_class=StreamingResponse)
def download_latest(
    document_id: uuid.UUID, actor: ActorDep, db: DbSession, services: ServicesDep
) -> StreamingResponse:
    """The bytes of the latest version."""
    return download_response(services, service.prepare_download(db, actor, document_id, None))


@router.get("/{document_id}/versions/{number}/content", response_class=StreamingResponse)
def download_version(
    document_id: uuid.UUID,
    number: Annotated[int, Path(ge=1, le=1_000_000)],
    actor: ActorDep,
    db: DbSession,
    services: ServicesDep,
) -> StreamingResponse:
    """The bytes of any version."""
    return download_response(services, service.prepare_download(db, actor, document_id, number))
