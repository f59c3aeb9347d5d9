"""Outside trust services named by URL: an RFC 3161 timestamp authority, and an OCSP
responder asked about the signer's certificate before a B-LT signature embeds the answer.

Used in production, where the institution's or an accredited CA's services replace the
development PKI's in-process ones.
"""

from __future__ import annotations

import urllib.error
import urllib.request

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp
from pyhanko.sign.timestamps.aiohttp_client import HTTPTimeStamper
from pyhanko.sign.timestamps.api import TimeStamper

from signing.errors import SigningError

MAX_OCSP_RESPONSE = 64 * 1024

# What docsvc passes around without importing pyHanko: the in-process TSA client and the
# HTTP one are both this.
TimeStamperLike = TimeStamper


class RevocationServiceError(SigningError):
    """The OCSP responder could not be reached or gave no usable answer."""


def http_timestamper(url: str, timeout: float = 10) -> TimeStamper:
    return HTTPTimeStamper(url, timeout=timeout)


def fetch_ocsp(url: str, certificate_der: bytes, issuer_der: bytes, timeout: float = 10) -> bytes:
    """A signed, successful OCSP response about ``certificate_der`` (RFC 6960 over HTTP
    POST). Whether it says good or revoked is for validation to judge."""
    certificate = x509.load_der_x509_certificate(certificate_der)
    issuer = x509.load_der_x509_certificate(issuer_der)
    request = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(certificate, issuer, hashes.SHA256())
        .build()
        .public_bytes(Encoding.DER)
    )
    http = urllib.request.Request(  # noqa: S310  (the URL is the operator's configuration)
        url,
        data=request,
        headers={"Content-Type": "application/ocsp-request", "Accept": "application/ocsp-response"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(http, timeout=timeout) as response:  # noqa: S310
            body: bytes = response.read(MAX_OCSP_RESPONSE + 1)
    except (urllib.error.URLError, OSError) as exc:
        raise RevocationServiceError(f"the OCSP responder {url} cannot be reached: {exc}") from exc
    if len(body) > MAX_OCSP_RESPONSE:
        raise RevocationServiceError(f"the OCSP responder {url} answered with too much data")
    try:
        parsed = ocsp.load_der_ocsp_response(body)
    except ValueError as exc:
        raise RevocationServiceError(f"the OCSP responder {url} answered garbage") from exc
    if parsed.response_status is not ocsp.OCSPResponseStatus.SUCCESSFUL:
        raise RevocationServiceError(
            f"the OCSP responder {url} refused: {parsed.response_status.name.lower()}"
        )
    return body
