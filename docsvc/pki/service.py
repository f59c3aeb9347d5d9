"""Serving the development PKI: the CA's records in the database, the signing in
``signing``. Statuses are read from the database on every request, so a revocation shows
at once; but a signed answer about the same state is reused for a few minutes, far inside
its validity: the CRL until the revocations change (validators fetch it, and every B-LT
signature embeds it), an OCSP answer without a nonce for the same request and status (RFC
6960 lets producedAt be earlier than the request). So a flood of them costs a read, not a
signature; what must be signed fresh (TSA tokens, OCSP with a nonce) is throttled at the
routes (``docsvc.throttles``)."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from docsvc.actors.actor import Actor
from docsvc.audit.service import record_event
from docsvc.config import Settings
from docsvc.db.base import utcnow
from docsvc.errors import Conflict, NotFound
from docsvc.models import IssuedCertificate
from docsvc.pki import repository
from docsvc.runtime.keyring import Keyring, Slot
from signing.dev_pki import (
    DevPki,
    PkiUrls,
    create_dev_pki,
    load_dev_pki,
    renew_tsa,
    save_dev_pki,
    save_renewed_tsa,
)
from signing.pades import ValidationMaterial
from signing.revocation import CertState, CertStatus, Revocation, build_crl, ocsp_response
from signing.tsa import TsaConfig, timestamp_response, tsa_config

# A signed CRL or OCSP answer about an unchanged state is served for this long after it was
# signed: its thisUpdate is then at most this old, and its nextUpdate (a week, 12 hours
# later) stays true, since any change of state makes a new one at once.
CRL_REUSED_FOR = timedelta(minutes=5)
OCSP_REUSED_FOR = timedelta(minutes=5)
_OCSP_KEPT = 1024  # answers kept per service (the oldest go first)


@dataclass(slots=True)
class SignedAnswers:
    """The CRL in hand (the revocation state it was signed for: count and latest
    revocation; when; its number; its DER) and the OCSP answers without a nonce, by
    request and status. One lock for the CRL, so that a flood arriving together signs
    once."""

    crl: tuple[tuple[int, datetime | None], datetime, int, bytes] | None = None
    crl_lock: threading.Lock = field(default_factory=threading.Lock)
    ocsps: dict[tuple[bytes, CertStatus], tuple[datetime, bytes]] = field(default_factory=dict)
    ocsp_lock: threading.Lock = field(default_factory=threading.Lock)


DEV_PKI = Slot[DevPki]("dev-pki")
TSA_CONFIG = Slot[TsaConfig]("tsa-config")
SIGNED_ANSWERS = Slot[SignedAnswers]("pki-signed-answers")


def dev_pki(keys: Keyring) -> DevPki:
    """The PKI, decrypted once per service."""
    settings = keys.settings
    return keys.held(
        DEV_PKI,
        lambda: load_dev_pki(settings.pki_dir, settings.effective_secret.encode()),
        settings.pki_dir.resolve(),
    )


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


def renew_dev_tsa(db: Session, settings: Settings) -> x509.Certificate:
    """Give the development PKI's timestamp authority a new key and certificate (its
    rollover, due before the old certificate ends: archive timestamps renewed from then on
    reach past it). Running processes read the new key when they next start."""
    if not settings.dev_pki or not (settings.pki_dir / "root.pem").exists():
        raise Conflict(
            "There is no development PKI here: the timestamp authority is DOCSVC_TSA_URL's.",
            code="no_dev_pki",
        )
    secret = settings.effective_secret.encode()
    pki = renew_tsa(load_dev_pki(settings.pki_dir, secret))
    save_renewed_tsa(pki, settings.pki_dir, secret)
    record_issued(db, pki.tsa.certificate, "tsa")
    return pki.tsa.certificate


def tsa_settings(keys: Keyring) -> TsaConfig:
    """The TSA's configuration, its token template built once per service."""

    def build() -> TsaConfig:
        pki = dev_pki(keys)
        chain = [
            pki.issuing.certificate.public_bytes(Encoding.DER),
            pki.root.certificate.public_bytes(Encoding.DER),
        ]
        return tsa_config(pki.tsa, chain, keys.settings.tsa_policy_oid)

    return keys.held(TSA_CONFIG, build, keys.settings.pki_dir.resolve())


def _answers(keys: Keyring) -> SignedAnswers:
    return keys.held(SIGNED_ANSWERS, SignedAnswers, keys.settings.pki_dir.resolve())


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


def _now() -> datetime:
    return datetime.now(UTC)


_REVOKED_AT = IssuedCertificate.__table__.c.revoked_at
# Built once and run on the transaction's connection: every public verification asks.
_REVOCATION_STATE = select(func.count(), func.max(_REVOKED_AT)).where(_REVOKED_AT.is_not(None))


def _revocation_state(db: Session) -> tuple[int, datetime | None]:
    """How many certificates are revoked and the latest revocation time: revocations are
    never undone, so any new one changes this (a back-dated one, the count)."""
    count, latest = db.connection().execute(_REVOCATION_STATE).one()
    return int(count), latest


def _fresh(signed_at: datetime, now: datetime, reused_for: timedelta) -> bool:
    return timedelta(0) <= now - signed_at < reused_for


def crl_der(db: Session, keys: Keyring) -> bytes:
    """The issuing CA's CRL, signed again only when the revocations change or the one in
    hand is ``CRL_REUSED_FOR`` old."""
    state = _revocation_state(db)
    answers = _answers(keys)
    with answers.crl_lock:
        now = _now()
        cached = answers.crl
        if cached is not None and cached[0] == state and _fresh(cached[1], now, CRL_REUSED_FOR):
            return cached[3]
        # Read after the state: it holds at least the revocations the state counts.
        revocations = [
            Revocation(
                serial=int(r.serial_hex, 16),
                revoked_at=r.revoked_at or now,
                reason=x509.ReasonFlags(r.revocation_reason or "unspecified"),
            )
            for r in repository.revoked(db)
        ]
        # The CRL number must grow with every CRL; the issue time in seconds does, without
        # keeping a counter (and one more than the last, for two revocations in a second).
        number = max(int(now.timestamp()), cached[2] + 1 if cached is not None else 0)
        crl = build_crl(dev_pki(keys), sorted(revocations, key=lambda r: r.serial), number, now=now)
        answers.crl = (state, now, number, crl)
        return crl


def _has_nonce(request_der: bytes) -> bool | None:
    """Whether an OCSP request carries a nonce; None if it is not one we can read."""
    try:
        request = ocsp.load_der_ocsp_request(request_der)
        request.extensions.get_extension_for_class(x509.OCSPNonce)
    except x509.ExtensionNotFound:
        return False
    except (ValueError, TypeError):
        return None
    return True


def ocsp_der(db: Session, keys: Keyring, request_der: bytes) -> bytes:
    """Answer an OCSP request. Without a nonce, the same request about an unchanged status
    gets the answer signed for it up to ``OCSP_REUSED_FOR`` earlier."""
    pki = dev_pki(keys)
    if _has_nonce(request_der) is not False:
        return ocsp_response(pki, request_der, lambda serial: status_of(db, serial))
    status = status_of(db, ocsp.load_der_ocsp_request(request_der).serial_number)
    key = (request_der, status)
    answers = _answers(keys)
    now = _now()
    with answers.ocsp_lock:
        cached = answers.ocsps.get(key)
    if cached is not None and _fresh(cached[0], now, OCSP_REUSED_FOR):
        return cached[1]
    answer = ocsp_response(pki, request_der, lambda _: status, now=now)
    with answers.ocsp_lock:
        answers.ocsps.pop(key, None)
        answers.ocsps[key] = (now, answer)
        while len(answers.ocsps) > _OCSP_KEPT:
            del answers.ocsps[next(iter(answers.ocsps))]
    return answer


def timestamp_der(keys: Keyring, request_der: bytes) -> bytes:
    return timestamp_response(tsa_settings(keys), request_der)


def certificate_der(keys: Keyring, which: str) -> bytes:
    pki = dev_pki(keys)
    certs = {"root": pki.root.certificate, "issuing": pki.issuing.certificate}
    if which not in certs:
        raise NotFound(f"No CA certificate named {which}.", code="unknown_certificate")
    return certs[which].public_bytes(Encoding.DER)


def validation_material(db: Session, keys: Keyring) -> ValidationMaterial:
    """What a B-LT/B-LTA signature embeds from this PKI: the root and a fresh CRL."""
    pki = dev_pki(keys)
    return ValidationMaterial(
        trust_roots=(pki.root.certificate.public_bytes(Encoding.DER),),
        crls=(crl_der(db, keys),),
    )
