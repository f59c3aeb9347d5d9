"""Public PKI routes, no login: what validators fetch to check our signatures.

The CRL and OCSP answers without a nonce are reused while the state they sign holds
(``service``); what must be signed for each request (TSA tokens, OCSP answers with a
nonce) is throttled per client address and waits for one of a few signing slots
(``docsvc.throttles.pki_signing``). The service's own signing uses its TSA in process,
not through these routes, so it is never throttled here."""

from __future__ import annotations

import base64
import binascii

from fastapi import APIRouter, Request, Response

from docsvc.deps import DbSession, ServicesDep
from docsvc.errors import InvalidInput, PayloadTooLarge
from docsvc.pki import service
from docsvc.throttles import pki_signing

router = APIRouter(prefix="/pki", tags=["pki"])

MAX_REQUEST_BYTES = 64 * 1024


async def _body(request: Request, content_type: str) -> bytes:
    if request.headers.get("content-type", "").split(";")[0].strip() != content_type:
        raise InvalidInput(f"Send the request as {content_type}.", code="wrong_content_type")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_REQUEST_BYTES:
            raise PayloadTooLarge("The request is too large.", code="request_too_large")
    return body


@router.get("/certs/{name}.cer")
def ca_certificate(name: str, services: ServicesDep) -> Response:
    """The root or issuing CA certificate, DER."""
    return Response(
        service.certificate_der(services.keys, name), media_type="application/pkix-cert"
    )


@router.get("/crl/issuing.crl")
def crl(db: DbSession, services: ServicesDep) -> Response:
    """The issuing CA's current CRL, DER."""
    return Response(
        service.crl_der(db, services.keys),
        media_type="application/pkix-crl",
        headers={"Cache-Control": "max-age=300"},
    )


@router.post("/ocsp")
async def ocsp_post(request: Request, db: DbSession, services: ServicesDep) -> Response:
    """RFC 6960 OCSP over HTTP POST."""
    body = await _body(request, "application/ocsp-request")
    answer = await pki_signing(request, lambda: service.ocsp_der(db, services.keys, body))
    return Response(answer, media_type="application/ocsp-response")


@router.get("/ocsp/{encoded:path}")
async def ocsp_get(
    encoded: str, request: Request, db: DbSession, services: ServicesDep
) -> Response:
    """RFC 6960 appendix A.1: the DER request, base64 and URL-encoded, in the path."""
    try:
        body = base64.b64decode(encoded, validate=False)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput("The OCSP request is not base64.", code="bad_ocsp_request") from exc
    answer = await pki_signing(request, lambda: service.ocsp_der(db, services.keys, body))
    return Response(answer, media_type="application/ocsp-response")


@router.post("/tsa")
async def timestamp(request: Request, services: ServicesDep) -> Response:
    """RFC 3161 time-stamping over HTTP (application/timestamp-query)."""
    body = await _body(request, "application/timestamp-query")
    answer = await pki_signing(request, lambda: service.timestamp_der(services.keys, body))
    return Response(answer, media_type="application/timestamp-reply")
