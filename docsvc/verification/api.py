"""Public verification routes, no login (docs/contracts.md): ``POST /api/v1/verify`` and
``GET /api/v1/verify/{code}``."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from docsvc.deps import DbSession, ServicesDep, get_services
from docsvc.documents.api import UPLOAD_FILE_ONLY, receive_file
from docsvc.verification import service
from docsvc.verification.rate_limit import count_public_request, public_verification
from docsvc.verification.service import PublicRecord

router = APIRouter(
    prefix="/api/v1/verify",
    tags=["verification (public)"],
    dependencies=[Depends(count_public_request)],
)


@router.post("", openapi_extra=UPLOAD_FILE_ONLY, response_model=None)
async def verify(
    request: Request,
    format: Literal["json", "etsi", "pdf"] = "json",
    lang: Literal["es", "en"] | None = None,
) -> Response:
    """Verify an uploaded PDF (multipart field ``file``): the report of docs/contracts.md,
    plus ``copy``:
    ``identical`` to a registered document's latest version, an ``earlier_version`` of it,
    a ``later_revision`` (a registered version with changes appended after it), or
    ``unknown``. Each reason is a code with its ETSI sub-indication and parameters
    (``reason_details``) and a message in ``lang`` (English by default). With
    ``format=etsi``, the ETSI TS 119 102-2 XML report instead; with ``format=pdf``, the
    report as a PDF/A document sealed by the institution, in ``lang`` (Spanish by default).
    Each client address has a share of the verifier's time: beyond it, 429
    ``verification_budget`` with Retry-After."""
    # Anyone may call this, as fast as they like: the request's own work is one trip to a
    # worker thread (the transaction, the verifier, the copy check and the body's bytes),
    # with no dependency that would take a thread of its own.
    services = get_services(request)
    # The client's fair share of the verifier (429 ``verification_budget`` beyond it), held
    # from before its file arrives until its verification ends.
    with public_verification(request) as used:
        form = await receive_file(request, services)
        try:
            assert form.file is not None
            body = await run_in_threadpool(
                service.verify_upload_response, services, form.file, format, lang, used
            )
        finally:
            form.discard()
    if format == "pdf":
        return Response(
            body,
            media_type="application/pdf",
            headers={"Content-Disposition": 'attachment; filename="informe-verificacion.pdf"'},
        )
    if format == "etsi":
        return Response(
            body,
            media_type="application/xml",
            headers={"Content-Disposition": 'attachment; filename="informe-etsi.xml"'},
        )
    return Response(body, media_type="application/json")


@router.get("/{code}")
def public_record(code: str, db: DbSession, services: ServicesDep) -> PublicRecord:
    """What the code in a stamp or its QR code leads to: the document's type, registry
    numbers, dates, signers, and its versions as a sha256 chain with their register proofs.
    The title and the file only for public documents. The proofs are against the latest
    checkpoint; a version newer than it has ``proof_pending`` and no proof until the next
    scheduled checkpoint (``proof_expected_by``). Reading writes nothing."""
    return service.public_record(db, services.settings, code)


@router.get("/{code}/content", response_class=StreamingResponse)
def public_content(code: str, db: DbSession, services: ServicesDep) -> StreamingResponse:
    """The latest version of a public document."""
    _, version = service.public_latest_version(db, code)
    return StreamingResponse(
        services.store.iter_chunks(version.sha256),
        media_type="application/pdf",
        headers={
            "Content-Length": str(version.size),
            "Content-Disposition": 'attachment; filename="documento.pdf"',
            "X-Content-SHA256": version.sha256,
            "X-Content-Type-Options": "nosniff",
        },
    )
