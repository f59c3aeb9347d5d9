"""Revocation for the development PKI: CRLs and an RFC 6960 OCSP responder.

Both take what the CA knows as plain values (which serials it issued, which are revoked)
and return DER, so the service keeps the records and this module only signs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from signing.dev_pki import DevPki

CRL_VALIDITY = dt.timedelta(days=7)
OCSP_VALIDITY = dt.timedelta(hours=12)


class CertState(Enum):
    good = "good"
    revoked = "revoked"
    unknown = "unknown"


@dataclass(frozen=True, slots=True)
class CertStatus:
    state: CertState
    revoked_at: dt.datetime | None = None
    reason: x509.ReasonFlags | None = None


@dataclass(frozen=True, slots=True)
class Revocation:
    serial: int
    revoked_at: dt.datetime
    reason: x509.ReasonFlags = x509.ReasonFlags.unspecified


def build_crl(
    pki: DevPki, revocations: Iterable[Revocation], number: int, now: dt.datetime | None = None
) -> bytes:
    """The issuing CA's CRL, valid for a week; ``number`` must grow with every CRL."""
    issued = now or dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(pki.issuing.certificate.subject)
        .last_update(issued)
        .next_update(issued + CRL_VALIDITY)
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(pki.issuing.key.public_key()),
            critical=False,
        )
    )
    for revocation in revocations:
        entry = (
            x509.RevokedCertificateBuilder()
            .serial_number(revocation.serial)
            .revocation_date(revocation.revoked_at)
            .add_extension(x509.CRLReason(revocation.reason), critical=False)
            .build()
        )
        builder = builder.add_revoked_certificate(entry)
    crl = builder.sign(pki.issuing.key, hashes.SHA256())
    return crl.public_bytes(serialization.Encoding.DER)


def _unsuccessful(status: ocsp.OCSPResponseStatus) -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(
        serialization.Encoding.DER
    )


def _issuer_hashes(pki: DevPki, algorithm: hashes.HashAlgorithm) -> tuple[bytes, bytes]:
    """The CertID hashes of the issuing CA, as a client computes them (RFC 6960 §4.1.1)."""
    name = hashes.Hash(algorithm)
    name.update(pki.issuing.certificate.subject.public_bytes())
    key = hashes.Hash(algorithm)
    spki = pki.issuing.key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.PKCS1
    )
    key.update(spki)
    return name.finalize(), key.finalize()


def ocsp_response(
    pki: DevPki,
    request_der: bytes,
    status_of: Callable[[int], CertStatus],
    now: dt.datetime | None = None,
) -> bytes:
    """Answer one OCSP request (DER). Serials this CA never issued are ``unknown``;
    requests about another CA are ``unauthorized``; garbage is ``malformedRequest``."""
    try:
        request = ocsp.load_der_ocsp_request(request_der)
        algorithm = request.hash_algorithm
        serial = request.serial_number
        name_hash, key_hash = request.issuer_name_hash, request.issuer_key_hash
    except (ValueError, TypeError):
        return _unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
    if (name_hash, key_hash) != _issuer_hashes(pki, algorithm):
        return _unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED)
    status = status_of(serial)
    this_update = now or dt.datetime.now(dt.UTC)
    cert_status = {
        CertState.good: ocsp.OCSPCertStatus.GOOD,
        CertState.revoked: ocsp.OCSPCertStatus.REVOKED,
        CertState.unknown: ocsp.OCSPCertStatus.UNKNOWN,
    }[status.state]
    builder = (
        ocsp.OCSPResponseBuilder()
        .add_response_by_hash(
            issuer_name_hash=name_hash,
            issuer_key_hash=key_hash,
            serial_number=serial,
            algorithm=algorithm,
            cert_status=cert_status,
            this_update=this_update,
            next_update=this_update + OCSP_VALIDITY,
            revocation_time=status.revoked_at if status.state is CertState.revoked else None,
            revocation_reason=status.reason if status.state is CertState.revoked else None,
        )
        .responder_id(ocsp.OCSPResponderEncoding.HASH, pki.ocsp.certificate)
        .certificates([pki.ocsp.certificate])
    )
    nonce = _nonce(request)
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.sign(pki.ocsp.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def _nonce(request: ocsp.OCSPRequest) -> bytes | None:
    try:
        return request.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
    except x509.ExtensionNotFound:
        return None
