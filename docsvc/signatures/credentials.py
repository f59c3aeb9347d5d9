"""Officials' signing credentials: issuing one from the development PKI, registering a
token key or a card, finding the active one, and the wrong-PIN lockout."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from docsvc.config import Settings
from docsvc.db.base import utcnow
from docsvc.errors import Conflict, InvalidInput, Locked, NotFound
from docsvc.models import CredentialKind, Position, SigningCredential, User
from docsvc.pki.service import dev_pki, record_issued
from signing.dev_pki import issue_official


def position_title(db: Session, user_id: uuid.UUID) -> str | None:
    """The post the official holds, printed in stamps (the first, if several)."""
    return db.scalar(
        select(Position.title).where(Position.holder_id == user_id).order_by(Position.code)
    )


def _deactivate_others(db: Session, user_id: uuid.UUID) -> None:
    db.execute(
        update(SigningCredential)
        .where(SigningCredential.user_id == user_id, SigningCredential.active.is_(True))
        .values(active=False)
    )


def _credential(
    user_id: uuid.UUID,
    kind: CredentialKind,
    certificate: x509.Certificate,
    chain: list[x509.Certificate],
) -> SigningCredential:
    return SigningCredential(
        id=uuid.uuid4(),
        user_id=user_id,
        kind=kind.value,
        certificate_pem=certificate.public_bytes(Encoding.PEM).decode(),
        chain_pem="".join(c.public_bytes(Encoding.PEM).decode() for c in chain),
        certificate_sha256=hashlib.sha256(certificate.public_bytes(Encoding.DER)).hexdigest(),
        subject=certificate.subject.rfc4514_string(),
        not_after=certificate.not_valid_after_utc,
        active=True,
    )


def issue_dev_credential(
    db: Session, settings: Settings, user: User, pin: str
) -> SigningCredential:
    """A new key and certificate from the institution's development PKI, kept only as a
    PKCS#12 encrypted under the official's PIN. Replaces the official's active credential."""
    if not settings.dev_pki:
        raise Conflict(
            "This institution has no development PKI: register the official's token or card.",
            code="no_dev_pki",
        )
    if len(pin) < 4:
        raise InvalidInput("A PIN needs at least 4 characters.", code="pin_too_short")
    pki = dev_pki(settings)
    issued = issue_official(
        pki,
        full_name=user.full_name,
        username=user.username,
        organisation=settings.institution_name,
        position=position_title(db, user.id),
        pin=pin,
    )
    record_issued(db, issued.certificate, "signing", user.id)
    _deactivate_others(db, user.id)
    credential = _credential(
        user.id,
        CredentialKind.pkcs12,
        issued.certificate,
        [pki.issuing.certificate, pki.root.certificate],
    )
    credential.pkcs12 = issued.pkcs12
    db.add(credential)
    db.flush()
    return credential


def register_credential(
    db: Session,
    user: User,
    kind: CredentialKind,
    certificate_pem: bytes,
    *,
    token: str | None = None,
    key: str | None = None,
) -> SigningCredential:
    """A key the service never holds: on a PKCS#11 token (named by token and key label) or
    on the official's own card (two-step signing). ``certificate_pem`` is the signer's
    certificate followed by its issuers."""
    if kind is CredentialKind.pkcs12:
        raise InvalidInput("PKCS#12 credentials are issued, not registered.", code="bad_kind")
    if kind is CredentialKind.pkcs11 and not (token and key):
        raise InvalidInput("A PKCS#11 credential needs a token and a key label.", code="bad_kind")
    try:
        certificates = x509.load_pem_x509_certificates(certificate_pem)
    except ValueError as exc:
        raise InvalidInput("The certificate is not PEM.", code="bad_certificate") from exc
    _deactivate_others(db, user.id)
    credential = _credential(user.id, kind, certificates[0], certificates[1:])
    credential.pkcs11_token = token
    credential.pkcs11_key = key
    db.add(credential)
    db.flush()
    return credential


def active_credential(db: Session, user_id: uuid.UUID) -> SigningCredential:
    credential = db.scalar(
        select(SigningCredential).where(
            SigningCredential.user_id == user_id, SigningCredential.active.is_(True)
        )
    )
    if credential is None:
        raise NotFound(
            "You have no signing credential; ask an administrator to issue one.",
            code="no_signing_credential",
        )
    return credential


def check_not_locked(credential: SigningCredential, now: datetime) -> None:
    if credential.locked_until is not None and credential.locked_until > now:
        raise Locked(
            f"Too many wrong PINs: signing is locked until {credential.locked_until:%H:%M} UTC.",
            code="pin_locked",
        )


def record_pin_failure(
    sessions: sessionmaker[Session], credential_id: uuid.UUID, settings: Settings
) -> bool:
    """Count a wrong PIN in its own transaction, so that the count survives the failed
    request's rollback. Returns whether signing is now locked."""
    with sessions() as db:
        credential = db.get(SigningCredential, credential_id, with_for_update=True)
        if credential is None:
            return False
        credential.failed_pins += 1
        locked = credential.failed_pins >= settings.pin_max_failures
        if locked:
            credential.failed_pins = 0
            credential.locked_until = utcnow() + timedelta(minutes=settings.pin_lockout_minutes)
        db.commit()
        return locked


def reset_pin_failures(credential: SigningCredential) -> None:
    if credential.failed_pins or credential.locked_until is not None:
        credential.failed_pins = 0
        credential.locked_until = None


def signer_chain_der(credential: SigningCredential) -> list[bytes]:
    """The signer's certificate then its issuers, DER."""
    pem = (credential.certificate_pem + credential.chain_pem).encode()
    return [c.public_bytes(Encoding.DER) for c in x509.load_pem_x509_certificates(pem)]
