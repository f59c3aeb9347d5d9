"""Serving the development PKI: the CA's records in the database, the signing in
``signing``. Answers are computed from the database on every request, so a revocation
shows at once; a CRL with the same revocations is reused for a few seconds, since
signing B-LT embeds one in every signature."""

from __future__ import annotations

import functools
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy.orm import Session

from docsvc.audit.service import record_event
from docsvc.config import Settings
from docsvc.db.base import utcnow
from docsvc.errors import Conflict, NotFound
from docsvc.identity.actor import Actor
from docsvc.models import IssuedCertificate
from docsvc.pki import repository
from signing.dev_pki import DevPki, PkiUrls, create_dev_pki, load_dev_pki, save_dev_pki
from signing.pades import ValidationMaterial
from signing.revocation import CertState, CertStatus, Revocation, build_crl, ocsp_response
from signing.tsa import TsaConfig, timestamp_response, tsa_config

_lock = threading.Lock()
# A batch signs many documents a second, each B-LT signature embedding the CRL; one CRL
# for the same revoked serials serves them all for this long (far inside its validity).
CRL_REUSED_FOR = timedelta(seconds=30)
_crls: dict[tuple[Path, frozenset[Revocation]], tuple[datetime, bytes]] = {}


@functools.cache
def _loaded(pki_dir: Path, passphrase: bytes) -> DevPki:
    return load_dev_pki(pki_dir, passphrase)


def dev_pki(settings: Settings) -> DevPki:
    """The PKI, decrypted once per process."""
    with _lock:
        return _loaded(settings.pki_dir.resolve(), settings.effective_secret.encode())


def ensure_dev_pki(db: Session, settings: Settings) -> bool:
    """Create the embedded default's CA, TSA and OCSP certificates unless they exist.
    Their keys are encrypted under DOCSVC_SECRET_KEY, so changing it needs a new PKI."""
    if not settings.dev_pki or (settings.pki_dir / "root.pem").exists():
        return False
    pki = create_dev_pki(settings.institution_name, PkiUrls(settings.public_url.rstrip("/")))
    save_dev_pki(pki, settings.pki_dir, settings.effective_secret.encode())
    # The CA answers OCSP for what it issued: its own TSA and OCSP certificates first.
    record_issued(db, pki.tsa.certificate, "tsa")
    record_issued(db, pki.ocsp.certificate, "ocsp")
    return True


def tsa_settings(settings: Settings) -> TsaConfig:
    """The TSA's configuration, its token template built once per process."""
    with _lock:
        return _tsa_config(
            settings.pki_dir.resolve(),
            settings.effective_secret.encode(),
            settings.tsa_policy_oid,
        )


@functools.cache
def _tsa_config(pki_dir: Path, passphrase: bytes, policy: str) -> TsaConfig:
    pki = _loaded(pki_dir, passphrase)
    chain = [
        pki.issuing.certificate.public_bytes(Encoding.DER),
        pki.root.certificate.public_bytes(Encoding.DER),
    ]
    return tsa_config(pki.tsa, chain, policy)


def record_issued(
    db: Session, certificate: x509.Certificate, purpose: str, user_id: uuid.UUID | None = None
) -> None:
    db.add(
        IssuedCertificate(
            serial_hex=format(certificate.serial_number, "x"),
            subject=certificate.subject.rfc4514_string(),
            purpose=purpose,
            user_id=user_id,
            certificate_pem=certificate.public_bytes(Encoding.PEM).decode(),
            not_before=certificate.not_valid_before_utc,
            not_after=certificate.not_valid_after_utc,
        )
    )


def revoke(
    db: Session,
    actor: Actor | None,
    serial: int,
    reason: x509.ReasonFlags,
    at: datetime | None = None,
) -> None:
    issued = repository.by_serial(db, serial)
    if issued is None:
        raise NotFound(
            f"No certificate with serial {serial:x} was issued here.", code="unknown_serial"
        )
    if issued.revoked_at is not None:
        raise Conflict("The certificate is already revoked.", code="already_revoked")
    issued.revoked_at = at or utcnow()
    issued.revocation_reason = reason.value
    record_event(
        db,
        actor,
        "pki.revoke",
        object_type="certificate",
        object_id=issued.serial_hex,
        details={"reason": reason.value},
    )


def status_of(db: Session, serial: int) -> CertStatus:
    issued = repository.by_serial(db, serial)
    if issued is None:
        return CertStatus(CertState.unknown)
    if issued.revoked_at is not None:
        return CertStatus(
            CertState.revoked,
            revoked_at=issued.revoked_at,
            reason=x509.ReasonFlags(issued.revocation_reason or "unspecified"),
        )
    return CertStatus(CertState.good)


def crl_der(db: Session, settings: Settings) -> bytes:
    now = datetime.now(UTC)
    revocations = frozenset(
        Revocation(
            serial=int(r.serial_hex, 16),
            revoked_at=r.revoked_at or now,
            reason=x509.ReasonFlags(r.revocation_reason or "unspecified"),
        )
        for r in repository.revoked(db)
    )
    key = (settings.pki_dir.resolve(), revocations)
    with _lock:
        cached = _crls.get(key)
    if cached is not None and timedelta(0) <= now - cached[0] < CRL_REUSED_FOR:
        return cached[1]
    # The CRL number must grow with every CRL; the issue time in seconds does, without
    # keeping a counter.
    crl = build_crl(
        dev_pki(settings),
        sorted(revocations, key=lambda r: r.serial),
        number=int(now.timestamp()),
        now=now,
    )
    with _lock:
        _crls.clear()  # only the newest is worth keeping
        _crls[key] = (now, crl)
    return crl


def ocsp_der(db: Session, settings: Settings, request_der: bytes) -> bytes:
    return ocsp_response(dev_pki(settings), request_der, lambda serial: status_of(db, serial))


def timestamp_der(settings: Settings, request_der: bytes) -> bytes:
    return timestamp_response(tsa_settings(settings), request_der)


def certificate_der(settings: Settings, which: str) -> bytes:
    pki = dev_pki(settings)
    certs = {"root": pki.root.certificate, "issuing": pki.issuing.certificate}
    if which not in certs:
        raise NotFound(f"No CA certificate named {which}.", code="unknown_certificate")
    return certs[which].public_bytes(Encoding.DER)


def validation_material(db: Session, settings: Settings) -> ValidationMaterial:
    """What a B-LT/B-LTA signature embeds from this PKI: the root and a fresh CRL."""
    pki = dev_pki(settings)
    return ValidationMaterial(
        trust_roots=(pki.root.certificate.public_bytes(Encoding.DER),),
        crls=(crl_der(db, settings),),
    )
