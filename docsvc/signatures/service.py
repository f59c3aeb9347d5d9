"""Signing a document through the service: the PIN or the unlocked session opens the
official's key, pyHanko runs on the signing pool, and the signed file becomes the
document's next version, with an audit event and a signature record.

Order of work, as for uploads: sign into a temporary file, store it under its hash, then
add the rows in the request's transaction.
"""

from __future__ import annotations

import contextlib
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from docsvc.actors.actor import Actor
from docsvc.audit.service import record_event
from docsvc.config import SignatureLevel
from docsvc.db.base import utcnow
from docsvc.documents import codes
from docsvc.documents import service as documents
from docsvc.documents.access import can_author
from docsvc.documents.uploads import ReceivedFile
from docsvc.errors import Conflict, InvalidInput, PermissionDenied
from docsvc.ledger import events as register_events
from docsvc.locale import Translator, translator
from docsvc.models import (
    CredentialKind,
    Document,
    DocumentVersion,
    Role,
    SignatureRecord,
    SigningCredential,
)
from docsvc.pki.authorities import material_for, timestamper_for
from docsvc.runtime.signing import KeySigner, PdfJob, PdfSigner, SigningRuntime
from docsvc.services import Services
from docsvc.signatures import sessions as signing_sessions
from docsvc.signatures.credentials import (
    active_credential,
    check_not_locked,
    holds_kept_key,
    open_with_pin,
    pin_attempt,
    position_title,
    signer_chain_der,
)
from docsvc.signatures.schemas import SessionOut, SignatureOut, SignIn, SignResultOut
from signing import SigningError
from signing.appearance import StampLabels, StampSpec
from signing.cades import sign_record
from signing.pades import (
    Level,
    SignatureRequest,
    SigningKey,
    StandIn,
    ValidationMaterial,
    unlock_pkcs12,
)
from signing.pkcs11 import open_pkcs11_key
from signing.remote import TimeStamperLike
from storage.files import save_chunks
from storage.hashing import digest_of


def default_level(services: Services, doc_type: str) -> SignatureLevel:
    settings = services.settings
    return settings.signature_levels.get(doc_type, settings.default_signature_level)


def verification_url(services: Services, code: str) -> str:
    return f"{services.settings.public_url.rstrip('/')}/verificar/{code}"


def require_official(actor: Actor) -> None:
    if Role.official not in actor.roles:
        raise PermissionDenied("Only officials sign documents.", code="not_an_official")


def _open_pkcs12(
    services: Services,
    runtime: SigningRuntime,
    credential: SigningCredential,
    actor: Actor,
    pin: str,
) -> SigningKey:
    """Open the key the service keeps with the PIN (``credentials.open_with_pin``: counted,
    and may lock signing) and parse it on the pool."""
    plain = open_with_pin(services.sessions, services.keys, runtime, credential, actor, pin)
    return runtime.run(unlock_pkcs12, plain, None)


def unlock_session(
    db: Session, services: Services, runtime: SigningRuntime, actor: Actor, pin: str
) -> SessionOut:
    require_official(actor)
    credential = active_credential(db, actor.user_id)
    if credential.kind != CredentialKind.pkcs12.value:
        raise Conflict(
            "Only a key kept by the service (PKCS#12) can stay unlocked; tokens and cards "
            "are asked for their PIN at each signature.",
            code="cannot_unlock_kind",
        )
    now = utcnow()
    check_not_locked(credential, now)
    plain = open_with_pin(services.sessions, services.keys, runtime, credential, actor, pin)
    opened = signing_sessions.open_session(db, runtime, actor, credential, plain, now)
    record_event(
        db, actor, "signing.unlock", object_type="credential", object_id=str(credential.id)
    )
    return SessionOut(unlocked=True, expires_at=opened.expires_at)


def lock_session(db: Session, runtime: SigningRuntime, actor: Actor) -> SessionOut:
    # Locking also forgets keys her PIN opened recently in this process: the next
    # signature here asks for the PIN and derives the key again.
    runtime.recent.drop(
        db.scalars(select(SigningCredential.id).where(SigningCredential.user_id == actor.user_id))
    )
    if signing_sessions.close_sessions(db, runtime, actor.user_id, utcnow()):
        record_event(db, actor, "signing.lock", object_type="user", object_id=str(actor.user_id))
    return SessionOut(unlocked=False, expires_at=None)


def session_state(db: Session, actor: Actor) -> SessionOut:
    row = signing_sessions.open_row(db, actor, utcnow())
    return SessionOut(unlocked=row is not None, expires_at=row.expires_at if row else None)


def session_offer(db: Session, actor: Actor) -> SessionOut | None:
    """The signing session's state for an official whose key the service keeps (only such a
    key can stay unlocked); None for anyone else, to whom a page offers no session."""
    if Role.official not in actor.roles:
        return None
    kind = db.scalar(
        select(SigningCredential.kind).where(
            SigningCredential.user_id == actor.user_id, SigningCredential.active.is_(True)
        )
    )
    return session_state(db, actor) if kind == CredentialKind.pkcs12.value else None


def kept_key_for_job(
    db: Session, services: Services, actor: Actor, pin: str | None
) -> bytes | None:
    """The official's key, to be sealed to the job runners (``docsvc.jobs.keyed``): the
    one the service keeps, as a PKCS#12 without a password, opened with ``pin`` (counted
    with the lockout) or else from her open signing session. None for a key the service
    does not keep (a token's, a card's), or with neither a PIN nor an open session.
    Call it before the transaction writes: on SQLite the PIN's count is written aside."""
    credential = active_credential(db, actor.user_id)
    if not holds_kept_key(credential):
        return None
    check_not_locked(credential, utcnow())
    if pin is not None:
        return open_with_pin(
            services.sessions, services.keys, services.signing, credential, actor, pin
        )
    return signing_sessions.session_pkcs12(db, actor, credential, utcnow())


@contextlib.contextmanager
def _signing_key(
    services: Services,
    runtime: SigningRuntime,
    credential: SigningCredential,
    actor: Actor,
    pin: str | None,
) -> Iterator[SigningKey]:
    kind = CredentialKind(credential.kind)
    if kind is CredentialKind.external:
        raise Conflict(
            "Your key is on your own card: use two-step signing (prepare, then finish).",
            code="use_external_signing",
        )
    if kind is CredentialKind.pkcs11:
        if pin is None:
            raise InvalidInput("Type the token's PIN.", code="pin_required")
        if services.settings.pkcs11_lib is None:
            raise Conflict("No PKCS#11 module is configured.", code="no_pkcs11_module")
        assert credential.pkcs11_token and credential.pkcs11_key
        with contextlib.ExitStack() as session:
            with pin_attempt(services.sessions, credential.id, services.settings, actor):
                key = session.enter_context(
                    open_pkcs11_key(
                        services.settings.pkcs11_lib,
                        credential.pkcs11_token,
                        credential.pkcs11_key,
                        pin,
                    )
                )
            yield key
        return
    if pin is not None:
        yield _open_pkcs12(services, runtime, credential, actor, pin)
        return
    with services.sessions() as db:
        unlocked = signing_sessions.session_key(db, runtime, actor, credential, utcnow())
    if unlocked is None:
        raise InvalidInput(
            "Type your PIN: your signing session is not open or has expired.",
            code="pin_required",
        )
    yield unlocked


@contextlib.contextmanager
def _pdf_signer(
    services: Services,
    credential: SigningCredential,
    actor: Actor,
    pin: str | None,
    given: PdfSigner | None,
) -> Iterator[PdfSigner]:
    if given is not None:
        yield given
        return
    with _signing_key(services, services.signing, credential, actor, pin) as key:
        yield KeySigner(services.signing, key)


@dataclass(frozen=True, slots=True)
class SigningPlan:
    document: Document
    base: DocumentVersion
    level: Level
    certify: bool
    code: str


# --- who may sign a document (authorization only; kept apart from the key handling) -------


def may_sign(db: Session, services: Services, actor: Actor, document: Document) -> bool:
    """Signing adds a version, so it needs what a new version needs (the owning
    department's authors), or that the document was sent to the signer for signature: a
    step of a signing line now waiting for her (as the person or position named, or as a
    stand-in), or a transfer for signature her department received and has not answered.
    Those two are asked through ``services.signature_requests``: the features that send
    for signature sit above this one."""
    if Role.official not in actor.roles:
        return False
    if can_author(actor, document.owning_department_id):
        return True
    return any(asks(db, actor, document.id) for asks in services.signature_requests)


def require_signing_right(
    db: Session, services: Services, actor: Actor, document: Document
) -> None:
    if not may_sign(db, services, actor, document):
        raise PermissionDenied(
            "Only the owning department, or an official it was sent to for signature, can "
            "sign this document.",
            code="not_sent_for_signature",
        )


def plan_signature(
    db: Session, services: Services, actor: Actor, document_id: uuid.UUID, request: SignIn
) -> SigningPlan:
    document = documents.readable_document(db, actor, document_id)
    require_signing_right(db, services, actor, document)
    if request.base_version is not None and request.base_version != document.latest_version:
        raise Conflict(
            f"The document is at version {document.latest_version}, not {request.base_version}.",
            code="version_changed",
        )
    base = db.scalar(
        select(DocumentVersion).where(
            DocumentVersion.document_id == document.id,
            DocumentVersion.number == document.latest_version,
        )
    )
    assert base is not None
    previous = db.scalar(
        select(func.count())
        .select_from(SignatureRecord)
        .where(SignatureRecord.document_id == document.id)
    )
    if request.certify and previous:
        raise Conflict(
            "Only the first signature can certify a document; this one is already signed.",
            code="cannot_certify_signed",
        )
    # Not written yet: on SQLite a write here would hold the database's write lock while the
    # signed file's object claim needs its own transaction. It is saved with the version.
    code = document.verification_code or codes.new_code()
    level = Level(request.level or default_level(services, document.doc_type))
    return SigningPlan(document, base, level, request.certify, code)


def sign_record_as(
    db: Session,
    services: Services,
    actor: Actor,
    data: bytes,
    pin: str | None,
) -> tuple[bytes, Level]:
    """A CAdES signature by ``actor`` over ``data`` (a record's canonical JSON), with the
    same key, PIN rules and lockout as a document signature; time-stamped (B-T) whenever a
    TSA is configured. Returns the DER signature and its level."""
    require_official(actor)
    credential = active_credential(db, actor.user_id)
    check_not_locked(credential, utcnow())
    runtime = services.signing
    try:
        timestamper = timestamper_for(services.keys, Level.B_T)
    except Conflict:
        timestamper = None
    with _signing_key(services, runtime, credential, actor, pin) as key:
        try:
            signature = runtime.run(sign_record, data, key, timestamper)
        except SigningError as exc:
            raise Conflict(f"The record cannot be signed: {exc}", code="signing_failed") from exc
    return signature, Level.B_T if timestamper is not None else Level.B_B


def signing_extras(
    db: Session,
    services: Services,
    level: Level,
    *,
    need_timestamper: bool = True,
    signer_chain: Sequence[bytes] = (),
) -> tuple[TimeStamperLike | None, ValidationMaterial | None]:
    """The timestamper (from B-T) and the validation data to embed (from B-LT): the
    development PKI's in the embedded default, the configured outside services otherwise."""
    timestamper = timestamper_for(services.keys, level) if need_timestamper else None
    return timestamper, material_for(db, services.keys, level, signer_chain)


def fetch_version(services: Services, version: DocumentVersion, target: Path) -> None:
    save_chunks(services.store.iter_chunks(version.sha256), target)


@dataclass(frozen=True, slots=True)
class OnBehalf:
    """The official a stand-in signs for: in words on the stamp and in the signature's
    reason, and as a claimed role in its signed attributes (``signing.pades.StandIn``),
    which is what verification reads."""

    full_name: str
    position: str | None

    def describe(self, t: Translator) -> str:
        if self.position:
            return t.gettext(
                "stand-in for %(name)s (%(position)s)", name=self.full_name, position=self.position
            )
        return t.gettext("stand-in for %(name)s", name=self.full_name)

    def claimed_role(self) -> StandIn:
        return StandIn(self.full_name, self.position or None)


def _signature_request(
    db: Session,
    plan: SigningPlan,
    request: SignIn,
    actor: Actor,
    services: Services,
    on_behalf: OnBehalf | None = None,
) -> SignatureRequest:
    # The stamp and the signature's reason are part of the record: in the institution's
    # language, the stamp's moment in its time zone.
    settings = services.settings
    t = translator(settings.default_language, settings.timezone)
    stamp = None
    own_position = position_title(db, actor.user_id)
    if request.visible:
        stamp = StampSpec(
            verification_url=verification_url(services, plan.code),
            verification_code=plan.code,
            signer_name=actor.full_name,
            position=on_behalf.describe(t).capitalize() if on_behalf else own_position,
            page=(request.page - 1) if request.page else -1,
            labels=StampLabels(
                signed_by=t.gettext("Electronically signed by"),
                position=t.pgettext("stamp", "Position"),
                date=t.pgettext("stamp", "Date"),
                code=t.gettext("Secure verification code"),
            ),
            zone=settings.timezone,
        )
    reason = request.reason or t.gettext("Electronic signature")
    if on_behalf is not None:
        reason = t.gettext(
            "%(reason)s; signed by %(name)s as %(role)s",
            reason=reason,
            name=actor.full_name,
            role=on_behalf.describe(t),
        )
    return SignatureRequest(
        plan.level,
        reason=reason,
        location=request.location,
        certify=plan.certify,
        stamp=stamp,
        # A certified document accepts new visible fields only in its certifying revision,
        # so the certification reserves the stamps of the approvals that follow.
        reserve_fields=request.reserve_fields if plan.certify and request.visible else 0,
        stand_in_for=on_behalf.claimed_role() if on_behalf is not None else None,
    )


@dataclass(frozen=True, slots=True)
class SignedFile:
    """A signature made and its file stored, not yet recorded in the database."""

    plan: SigningPlan
    credential: SigningCredential
    field_name: str
    upload: ReceivedFile
    pages: int


def sign_and_store(
    db: Session,
    services: Services,
    actor: Actor,
    document_id: uuid.UUID,
    request: SignIn,
    work: Path,
    on_behalf: OnBehalf | None = None,
    signer: PdfSigner | None = None,
) -> SignedFile:
    """Sign the latest version into ``work`` and store the result, writing no row yet:
    several documents can be signed in one request and then recorded together. Without a
    ``signer``, the official's key is opened here (PIN or open session)."""
    require_official(actor)
    plan = plan_signature(db, services, actor, document_id, request)
    source = work / f"{document_id}.in.pdf"
    fetch_version(services, plan.base, source)
    return sign_source_and_store(
        db,
        services,
        actor,
        plan,
        source,
        request,
        work / f"{document_id}.out.pdf",
        on_behalf,
        signer,
    )


def sign_source_and_store(
    db: Session,
    services: Services,
    actor: Actor,
    plan: SigningPlan,
    source: Path,
    request: SignIn,
    target: Path,
    on_behalf: OnBehalf | None = None,
    signer: PdfSigner | None = None,
) -> SignedFile:
    """Sign ``source`` (a file for ``plan``, which need not be stored yet: a generated
    document such as a dossier's index) into ``target`` and store it, writing no row."""
    require_official(actor)
    credential = active_credential(db, actor.user_id)
    check_not_locked(credential, utcnow())
    timestamper, material = signing_extras(
        db, services, plan.level, signer_chain=signer_chain_der(credential)
    )
    signature_request = _signature_request(db, plan, request, actor, services, on_behalf)
    with _pdf_signer(services, credential, actor, request.pin, signer) as pdf_signer:
        try:
            field_name = pdf_signer.sign_pdf(
                PdfJob(source, target, signature_request, timestamper, material)
            )
        except SigningError as exc:
            raise Conflict(f"The document cannot be signed: {exc}", code="signing_failed") from exc
    source.unlink(missing_ok=True)
    upload = signed_upload(target, plan.base.filename)
    pages = documents.store_pdf(db, services.store, services.settings, upload)
    return SignedFile(plan, credential, field_name, upload, pages)


def record_signed(
    db: Session, services: Services, actor: Actor, signed: SignedFile
) -> SignResultOut:
    record = record_signature(
        db,
        services,
        actor,
        signed.plan.document,
        signed.plan.base.number,
        signed.upload,
        signed.credential,
        signed.field_name,
        signed.plan.level,
        signed.plan.certify,
        stored_pages=signed.pages,
    )
    save_verification_code(db, signed.plan)
    return SignResultOut(
        signature=SignatureOut.model_validate(record),
        verification_code=signed.plan.code,
        verification_url=verification_url(services, signed.plan.code),
    )


def record_signature_row(
    db: Session,
    actor: Actor,
    document: Document,
    version: DocumentVersion,
    credential: SigningCredential,
    field_name: str,
    level: Level,
    kind: str,
    sha256: str,
) -> SignatureRecord:
    """The signature record and its audit event, for a version already added."""
    record = SignatureRecord(
        id=uuid.uuid4(),
        document_id=document.id,
        version_number=version.number,
        signer_id=actor.user_id,
        credential_id=credential.id,
        certificate_sha256=credential.certificate_sha256,
        field_name=field_name,
        level=level.value,
        kind=kind,
        sha256=sha256,
        signed_at=version.created_at or utcnow(),
    )
    db.add(record)
    db.flush()
    register_events.record_signature(db, document, record, actor.username)
    record_event(
        db,
        actor,
        "document.sign",
        object_type="document",
        object_id=str(document.id),
        department_id=document.owning_department_id,
        details={
            "version": version.number,
            "sha256": sha256,
            "level": level.value,
            "kind": kind,
            "field": field_name,
            "certificate_sha256": credential.certificate_sha256,
        },
    )
    return record


def signed_upload(path: Path, filename: str) -> ReceivedFile:
    """A signed file, hashed, in the shape the documents service stores."""
    with path.open("rb") as handle:
        digest = digest_of(handle)
    return ReceivedFile(
        path=path,
        sha256=digest.sha256,
        size=digest.size,
        filename=filename,
        content_type="application/pdf",
    )


def record_signature(
    db: Session,
    services: Services,
    actor: Actor,
    plan_document: Document,
    base_number: int,
    signed: ReceivedFile,
    credential: SigningCredential,
    field_name: str,
    level: Level,
    certify: bool,
    stored_pages: int | None = None,
) -> SignatureRecord:
    """Add the signed file as the next version and record who signed it and how."""
    kind = "certification" if certify else "approval"
    version = documents.add_signed_version(
        db,
        services.store,
        services.settings,
        actor,
        plan_document,
        signed,
        base_number,
        f"signed by {actor.full_name} ({level.value}, {kind})",
        stored_pages,
    )
    return record_signature_row(
        db, actor, plan_document, version, credential, field_name, level, kind, signed.sha256
    )


def sign_document(
    db: Session,
    services: Services,
    actor: Actor,
    document_id: uuid.UUID,
    request: SignIn,
    on_behalf: OnBehalf | None = None,
) -> SignResultOut:
    services.settings.upload_tmp_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=services.settings.upload_tmp_dir) as work:
        signed = sign_and_store(db, services, actor, document_id, request, Path(work), on_behalf)
        return record_signed(db, services, actor, signed)


def save_verification_code(db: Session, plan: SigningPlan) -> None:
    if plan.document.verification_code is None:
        plan.document.verification_code = plan.code
        db.flush()


def list_signatures(db: Session, actor: Actor, document_id: uuid.UUID) -> list[SignatureOut]:
    document = documents.readable_document(db, actor, document_id)
    rows = db.scalars(
        select(SignatureRecord)
        .where(SignatureRecord.document_id == document.id)
        .order_by(SignatureRecord.version_number)
    )
    return [SignatureOut.model_validate(r) for r in rows]
