"""Officials' signing credentials: issuing one from the development PKI, registering a
token key or a card, finding the active one, opening a key the service keeps, and the
wrong-PIN lockout.

A key the service keeps is sealed (``signing.key_envelope``) under the official's PIN and
the server's pepper (``docsvc.signatures.pepper``): the database alone yields nothing. A key
issued before sealing existed is sealed the first time its owner types the right PIN."""

from __future__ import annotations

import contextlib
import hashlib
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import ColumnElement, case, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from docsvc.actors.actor import Actor
from docsvc.audit.denials import record_denial
from docsvc.audit.service import record_event
from docsvc.config import Settings
from docsvc.db.base import utcnow
from docsvc.errors import Conflict, InvalidInput, Locked, NotFound, PermissionDenied
from docsvc.models import CredentialKind, Position, Role, SigningCredential, User
from docsvc.pki.service import dev_pki, record_issued, revoke
from docsvc.runtime.keyring import Keyring
from docsvc.runtime.signing import SigningRuntime
from docsvc.signatures.pepper import key_pepper
from signing import key_envelope
from signing.dev_pki import issue_official
from signing.errors import WrongPin


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


def check_pin_policy(settings: Settings, pin: str) -> None:
    """A new signing PIN: digits only, at least ``Settings.pin_min_length`` of them."""
    if not (pin.isascii() and pin.isdigit()) or len(pin) < settings.pin_min_length:
        raise InvalidInput(
            f"A signing PIN is at least {settings.pin_min_length} digits, and digits only.",
            code="pin_too_short",
        )


def issue_dev_credential(db: Session, keys: Keyring, user: User, pin: str) -> SigningCredential:
    """A new key and certificate from the institution's development PKI, kept only sealed
    under the official's PIN and the server's pepper. Replaces the official's active
    credential."""
    settings = keys.settings
    if not settings.dev_pki:
        raise Conflict(
            "This institution has no development PKI: register the official's token or card.",
            code="no_dev_pki",
        )
    check_pin_policy(settings, pin)
    pki = dev_pki(keys)
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
    db.add(credential)
    db.flush()  # the envelope is bound to the credential's id
    credential.key_envelope = key_envelope.seal(
        key_envelope.without_password(issued.pkcs12, pin),
        pin,
        key_pepper(keys),
        _binding(credential),
    )
    return credential


def revoke_credential(db: Session, actor: Actor, user: User) -> SigningCredential:
    """An administrator withdraws the official's active credential: it signs no more, and
    a certificate the development PKI issued is revoked (its CRL and OCSP say so at once)."""
    if Role.admin not in actor.roles:
        raise PermissionDenied("Administrators revoke credentials.", code="not_admin")
    credential = active_credential(db, user.id)
    credential.active = False
    certificate = x509.load_pem_x509_certificate(credential.certificate_pem.encode())
    # Not issued here (a card, a token), or already revoked: deactivated only.
    with contextlib.suppress(NotFound, Conflict):
        revoke(db, actor, certificate.serial_number, x509.ReasonFlags.cessation_of_operation)
    record_event(
        db,
        actor,
        "credential.revoke",
        object_type="user",
        object_id=str(user.id),
        department_id=user.department_id,
        details={"certificate_sha256": credential.certificate_sha256},
    )
    return credential


def _binding(credential: SigningCredential) -> bytes:
    """What an envelope is bound to: this credential of this official."""
    return f"docsvc-credential:{credential.id}:{credential.user_id}".encode()


def holds_kept_key(credential: SigningCredential) -> bool:
    """Whether the service keeps this credential's key (sealed, or not yet sealed)."""
    return credential.kind == CredentialKind.pkcs12.value and (
        credential.key_envelope is not None or credential.pkcs12 is not None
    )


def open_stored_key(keys: Keyring, credential: SigningCredential, pin: str) -> bytes:
    """The key the service keeps for this credential, as a PKCS#12 without a password, for
    ``signing.pades.unlock_pkcs12`` or to hand on; ``WrongPin`` for a wrong PIN. A key not
    yet sealed is sealed now, in the caller's transaction, and its PKCS#12 emptied."""
    if credential.key_envelope is not None:
        return key_envelope.open_envelope(
            credential.key_envelope, pin, key_pepper(keys), _binding(credential)
        )
    if credential.pkcs12 is None:
        raise Conflict("The service keeps no key for this credential.", code="no_kept_key")
    plain = key_envelope.without_password(credential.pkcs12, pin)
    credential.key_envelope = key_envelope.seal(plain, pin, key_pepper(keys), _binding(credential))
    credential.pkcs12 = None
    return plain


def open_with_pin(
    sessions: sessionmaker[Session],
    keys: Keyring,
    runtime: SigningRuntime,
    credential: SigningCredential,
    actor: Actor,
    pin: str,
) -> bytes:
    """The kept key, opened with the PIN the official typed: one try counted against the
    lockout (``pin_attempt``), then the key the same PIN opened a moment ago
    (``RecentlyOpened``), or the envelope opened on the signing pool (Argon2id is slow on
    purpose)."""
    recent = runtime.recent
    with pin_attempt(sessions, credential.id, keys.settings, actor):
        plain = recent.get(credential.id, pin, utcnow())
        if plain is None:
            with recent.opening(credential.id):
                plain = recent.get(credential.id, pin, utcnow())
                if plain is None:
                    plain = runtime.run(open_stored_key, keys, credential, pin)
                    recent.put(credential.id, pin, plain, utcnow())
    return plain


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


# A slot whose try never reported back (its process died) is given up after this long.
PIN_SLOT_STALE = timedelta(seconds=60)
# How long a try waits for a free slot while others are being checked.
PIN_SLOT_WAIT_SECONDS = 20.0


def _in_flight(now: datetime) -> ColumnElement[int]:
    fresh = SigningCredential.pin_pending_at > now - PIN_SLOT_STALE
    return case((fresh, SigningCredential.pin_pending), else_=0)


def _release_slot() -> ColumnElement[int]:
    pending = SigningCredential.pin_pending
    return case((pending > 0, pending - 1), else_=0)


def _take_pin_slot(
    sessions: sessionmaker[Session], credential_id: uuid.UUID, settings: Settings
) -> uuid.UUID:
    """Wait for a free slot and take it: one UPDATE checks the lock and that the wrong PINs
    counted plus the tries in flight stay below the limit. Returns the credential's owner."""
    deadline = time.monotonic() + PIN_SLOT_WAIT_SECONDS
    delay = 0.02
    while True:
        now = utcnow()
        with sessions() as db:
            owner = db.execute(
                update(SigningCredential)
                .where(
                    SigningCredential.id == credential_id,
                    or_(
                        SigningCredential.locked_until.is_(None),
                        SigningCredential.locked_until <= now,
                    ),
                    SigningCredential.failed_pins + _in_flight(now) < settings.pin_max_failures,
                )
                .values(pin_pending=_in_flight(now) + 1, pin_pending_at=now, locked_until=None)
                .returning(SigningCredential.user_id),
                execution_options={"synchronize_session": False},
            ).scalar_one_or_none()
            locked_until = (
                None
                if owner is not None
                else db.scalar(
                    select(SigningCredential.locked_until).where(
                        SigningCredential.id == credential_id
                    )
                )
            )
            db.commit()
        if owner is not None:
            return owner
        if (locked_until is not None and locked_until > now) or time.monotonic() > deadline:
            raise Locked("Too many wrong PINs: signing is locked for a while.", code="pin_locked")
        time.sleep(delay)
        delay = min(delay * 2, 0.2)


@contextlib.contextmanager
def pin_attempt(
    sessions: sessionmaker[Session],
    credential_id: uuid.UUID,
    settings: Settings,
    actor: Actor | None = None,
) -> Iterator[None]:
    """One PIN try, within the limit even when tries race each other.

    Each try holds a slot while its PIN is checked (``_take_pin_slot``): wrong PINs counted
    plus tries in flight never exceed ``pin_max_failures``, so a burst of guesses sent
    together makes at most that many tries before the lockout; a try beyond it waits for a
    slot, and is refused (423 ``pin_locked``) once signing is locked. Right PINs free their
    slot at once, so an official's own burst of signatures goes through. A wrong PIN is a
    403 ``wrong_pin``; the one that reaches the limit locks signing, which is recorded in
    the audit trail. Wrap only the code that may raise ``WrongPin`` in it. (Counts are
    written in transactions of their own, never by the request's: a stale copy of the row
    would undo a lock made meanwhile.)"""
    owner = _take_pin_slot(sessions, credential_id, settings)
    try:
        yield
    except WrongPin as exc:
        until = utcnow() + timedelta(minutes=settings.pin_lockout_minutes)
        reaches = SigningCredential.failed_pins + 1 >= settings.pin_max_failures
        with sessions() as db:
            locked_until = db.execute(
                update(SigningCredential)
                .where(SigningCredential.id == credential_id)
                .values(
                    pin_pending=_release_slot(),
                    failed_pins=case((reaches, 0), else_=SigningCredential.failed_pins + 1),
                    locked_until=case((reaches, until), else_=SigningCredential.locked_until),
                )
                .returning(SigningCredential.locked_until),
                execution_options={"synchronize_session": False},
            ).scalar_one()
            db.commit()
        locked = locked_until == until
        if locked:
            record_denial(
                sessions,
                actor,
                Locked("Too many wrong PINs: signing is locked.", code="pin_locked"),
                action="signing.pin_lockout",
                object_type="signing_credential",
                object_id=str(credential_id),
                user_id=owner,
                details={"minutes": settings.pin_lockout_minutes},
            )
        raise PermissionDenied(
            "Wrong PIN; signing is now locked for a while." if locked else "Wrong PIN.",
            code="wrong_pin",
        ) from exc
    except BaseException:
        _free_slot(sessions, credential_id, reset=False)
        raise
    _free_slot(sessions, credential_id, reset=True)


def _free_slot(sessions: sessionmaker[Session], credential_id: uuid.UUID, *, reset: bool) -> None:
    """The try is over: free its slot; a right PIN (``reset``) also clears the count."""
    values: dict[str, object] = {"pin_pending": _release_slot()}
    if reset:
        values["failed_pins"] = 0
    with sessions() as db:
        db.execute(
            update(SigningCredential).where(SigningCredential.id == credential_id).values(**values),
            execution_options={"synchronize_session": False},
        )
        db.commit()


def signer_chain_der(credential: SigningCredential) -> list[bytes]:
    """The signer's certificate then its issuers, DER."""
    pem = (credential.certificate_pem + credential.chain_pem).encode()
    return [c.public_bytes(Encoding.DER) for c in x509.load_pem_x509_certificates(pem)]
