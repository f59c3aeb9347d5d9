"""Verifying for anyone: the report of an uploaded PDF with its copy check, and the public
record that a verification code (printed in every stamp and its QR code) leads to."""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from docsvc.config import Settings
from docsvc.db.base import utcnow
from docsvc.db.engine import transaction
from docsvc.documents import codes
from docsvc.documents.uploads import ReceivedFile
from docsvc.errors import InvalidInput, NotFound, Unprocessable
from docsvc.ledger import checkpoints, log
from docsvc.models import (
    Confidentiality,
    Document,
    DocumentVersion,
    LogLeaf,
    SignatureRecord,
    User,
)
from docsvc.pki.authorities import trust_anchors
from docsvc.pki.service import crl_der
from docsvc.register.service import registry_numbers
from docsvc.runtime.keyring import Keyring, Slot
from docsvc.runtime.verifiers import decompression_limits
from docsvc.services import Services
from docsvc.throttles import Busy, WorkerTime
from docsvc.verification.copies import check_copy
from docsvc.verification.report_pdf import sealed_report
from docsvc.verification.wording import report_json
from signing.isolation import VerificationOutOfMemory, VerificationTimedOut, VerifierBusy
from signing.report import VerificationReport
from signing.verification import (
    DecompressionLimitExceeded,
    EncryptedDocument,
    UnreadableDocument,
    VerificationPolicy,
)


class PublicVersion(BaseModel):
    number: int
    sha256: str
    # The previous version's hash: each version extends the one before (a sha256 chain).
    previous_sha256: str | None
    created_at: str
    register_index: int | None
    proof: list[str]
    # The latest checkpoint does not cover this version's register leaf yet: ``proof`` is
    # empty until the next scheduled checkpoint (``PublicRecord.proof_expected_by``).
    proof_pending: bool = False


class PublicSigner(BaseModel):
    name: str
    version: int
    level: str
    kind: str
    signed_at: str
    certificate_sha256: str


class PublicRecord(BaseModel):
    verification_code: str
    doc_type: str
    # Shown only for public documents; others show their type, numbers, dates and hashes.
    title: str | None
    public: bool
    registry_numbers: list[str]
    created_at: str
    versions: list[PublicVersion]
    signers: list[PublicSigner]
    # The register checkpoint (C2SP signed note) the versions' proofs lead to.
    checkpoint: str | None
    download_url: str | None
    # Some version is newer than the latest checkpoint: its proof comes with the next
    # scheduled one, expected by this time (ISO 8601) at the latest.
    proof_pending: bool = False
    proof_expected_by: str | None = None


def _crls(db: Session, keys: Keyring) -> list[bytes]:
    """The institution's current CRL, so that a revocation since signing shows."""
    settings = keys.settings
    if settings.dev_pki and (settings.pki_dir / "root.pem").exists():
        return [crl_der(db, keys)]
    return []


# The configured trust anchors as read from their files, by the files' identity on disk.
_ANCHORS = Slot[tuple[bytes, ...]]("verification-trust-anchors")


def _trust_anchors(services: Services) -> tuple[bytes, ...]:
    """The configured trust anchors (``trust_anchors``), read once a process, and again
    whenever one of their files changes (its inode, size or modification time)."""
    settings = services.settings
    paths = settings.trust_roots or [settings.pki_dir / "root.pem"]
    try:
        stats = [(path, path.stat()) for path in paths]
    except OSError:
        return tuple(trust_anchors(settings))  # which file cannot be read, as the error says
    variant = tuple((str(p), s.st_dev, s.st_ino, s.st_size, s.st_mtime_ns) for p, s in stats)
    return services.keys.held(_ANCHORS, lambda: tuple(trust_anchors(settings)), variant)


def verification_policy(db: Session, services: Services, *, etsi: bool) -> VerificationPolicy:
    """What an upload is verified under: the configured trust anchors, the institution's
    current CRL and the decompression limits."""
    settings = services.settings
    return VerificationPolicy(
        _trust_anchors(services),
        crls=_crls(db, services.keys),
        limits=decompression_limits(settings),
        etsi_report=etsi,
    )


def verify_isolated(
    db: Session,
    services: Services,
    upload: ReceivedFile,
    *,
    etsi: bool,
    used: WorkerTime | None = None,
) -> tuple[VerificationReport, bytes | None]:
    """Verify an untrusted upload in a worker process, within the time, memory and
    decompression limits; each limit has its own error code. A request that finds every
    worker busy waits in line up to ``verify_wait_seconds``. The worker time is added to
    ``used`` (the client's share, ``docsvc.verification.rate_limit``)."""
    settings = services.settings
    limit = settings.verify_seconds
    meter = used if used is not None else WorkerTime()
    try:
        policy = verification_policy(db, services, etsi=etsi)
        result = services.verifier.verify(
            upload.path,
            policy,
            timeout=limit,
            wait=settings.verify_wait_seconds,
            on_start=meter.start,
        )
        return result.report, result.etsi_xml
    except DecompressionLimitExceeded as exc:
        raise Unprocessable(
            "The file holds compressed data that expands past the limit "
            f"({settings.max_decoded_stream_mb} MB per stream, "
            f"{settings.max_decoded_total_mb} MB in all): {exc}",
            code="decompression_limit",
        ) from exc
    except EncryptedDocument as exc:
        reason = str(exc).rstrip(".")
        raise InvalidInput(f"The file cannot be verified: {reason}.", code="pdf_encrypted") from exc
    except UnreadableDocument as exc:
        raise InvalidInput(f"The file cannot be verified: {exc}", code="unreadable_pdf") from exc
    except VerificationTimedOut as exc:
        raise Unprocessable(
            f"Verifying the file took longer than the limit of {limit:g} seconds, and was stopped.",
            code="verification_time_limit",
        ) from exc
    except VerificationOutOfMemory as exc:
        raise Unprocessable(
            f"Verifying the file needed more than {settings.verify_memory_mb} MB of memory, "
            "and was stopped.",
            code="verification_memory_limit",
        ) from exc
    except VerifierBusy as exc:
        raise Busy(
            "Every verifier is busy; try again in a minute.",
            retry_after=max(1, math.ceil(limit)),
            code="verification_busy",
        ) from exc
    finally:
        meter.stop()


def verify_upload(
    db: Session,
    services: Services,
    upload: ReceivedFile,
    used: WorkerTime | None = None,
    lang: str = "en",
) -> dict[str, Any]:
    """The report of docs/contracts.md for the file, its reasons' and warnings' messages in
    ``lang`` (English unless asked), plus ``copy``: how it stands against the register."""
    report, _ = verify_isolated(db, services, upload, etsi=False, used=used)
    copy = check_copy(db, upload.path, upload.sha256, upload.size)
    return {**report_json(report, lang, services.settings.timezone), "copy": asdict(copy)}


def verify_upload_response(
    services: Services,
    upload: ReceivedFile,
    format: Literal["json", "etsi", "pdf"],
    lang: str | None,
    used: WorkerTime | None = None,
) -> bytes:
    """The API's answer for an upload, made on one worker thread from the transaction to
    the body's bytes: the JSON report (``lang`` English by default) encoded as Starlette's
    ``JSONResponse`` would, the ETSI XML, or the sealed PDF (``lang`` Spanish by default)."""
    with transaction(services.sessions) as db:
        if format == "pdf":
            return verify_upload_sealed(db, services, upload, lang or "es", used)
        if format == "etsi":
            return verify_upload_etsi(db, services, upload, used)
        report = verify_upload(db, services, upload, used, lang or "en")
    return json.dumps(report, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def verify_upload_etsi(
    db: Session, services: Services, upload: ReceivedFile, used: WorkerTime | None = None
) -> bytes:
    """The ETSI TS 119 102-2 validation report (XML) of the file's signatures."""
    report, xml = verify_isolated(db, services, upload, etsi=True, used=used)
    if xml is None:
        if report.signatures:
            raise InvalidInput(
                "None of the file's signatures can be read, so there is no ETSI validation "
                "report; the JSON report says why.",
                code="no_readable_signature",
            )
        raise InvalidInput(
            "The file has no signature, so there is no ETSI validation report.",
            code="no_signature",
        )
    return xml


def verify_upload_sealed(
    db: Session,
    services: Services,
    upload: ReceivedFile,
    lang: str,
    used: WorkerTime | None = None,
) -> bytes:
    """The report (with the copy check) as a PDF sealed by the institution."""
    report = verify_upload(db, services, upload, used, lang)
    return sealed_report(db, services.keys, report, file_name=upload.filename, lang=lang)


def _document(db: Session, typed: str) -> Document:
    code = codes.normalise(typed)
    document = (
        db.scalar(select(Document).where(Document.verification_code == code)) if code else None
    )
    if document is None:
        raise NotFound("No document has this verification code.", code="code_not_found")
    return document


def public_record(db: Session, settings: Settings, typed_code: str) -> PublicRecord:
    document = _document(db, typed_code)
    public = document.confidentiality == Confidentiality.public.value
    versions = list(
        db.scalars(
            select(DocumentVersion)
            .where(DocumentVersion.document_id == document.id)
            .order_by(DocumentVersion.number)
        )
    )
    leaves = {
        json.loads(leaf.leaf)["data"].get("version"): leaf.idx
        for leaf in db.scalars(
            select(LogLeaf).where(
                LogLeaf.object_type == "document",
                LogLeaf.object_id == str(document.id),
                LogLeaf.kind == "document.version",
            )
        )
    }
    # Anyone may ask, so asking writes nothing: the proofs are against the latest checkpoint
    # there is (the service signs one on a schedule when the log has grown), and a version
    # registered since then waits for the next one.
    checkpoint = checkpoints.latest(db)
    covered = checkpoint.size if checkpoint is not None else 0
    public_versions = []
    previous = None
    for version in versions:
        index = leaves.get(version.number)
        proof: list[str] = []
        pending = index is not None and index >= covered
        if index is not None and not pending:
            _, path, _ = log.inclusion(db, index, covered)
            proof = [p.hex() for p in path]
        public_versions.append(
            PublicVersion(
                number=version.number,
                sha256=version.sha256,
                previous_sha256=previous,
                created_at=version.created_at.isoformat(),
                register_index=index,
                proof=proof,
                proof_pending=pending,
            )
        )
        previous = version.sha256
    pending_any = any(v.proof_pending for v in public_versions)
    expected = (
        utcnow().replace(microsecond=0) + checkpoints.CHECKPOINT_INTERVAL if pending_any else None
    )
    signers = [
        PublicSigner(
            name=name,
            version=record.version_number,
            level=record.level,
            kind=record.kind,
            signed_at=record.signed_at.isoformat(),
            certificate_sha256=record.certificate_sha256,
        )
        for record, name in db.execute(
            select(SignatureRecord, User.full_name)
            .join(User, User.id == SignatureRecord.signer_id)
            .where(SignatureRecord.document_id == document.id)
            .order_by(SignatureRecord.version_number)
        )
    ]
    assert document.verification_code is not None
    base = settings.public_url.rstrip("/")
    return PublicRecord(
        verification_code=document.verification_code,
        doc_type=document.doc_type,
        title=document.title if public else None,
        public=public,
        registry_numbers=registry_numbers(db, [document.id]).get(document.id, []),
        created_at=document.created_at.isoformat(),
        versions=public_versions,
        signers=signers,
        checkpoint=checkpoint.note if checkpoint is not None else None,
        download_url=(
            f"{base}/api/v1/verify/{document.verification_code}/content" if public else None
        ),
        proof_pending=pending_any,
        proof_expected_by=expected.isoformat() if expected is not None else None,
    )


def public_latest_version(db: Session, typed_code: str) -> tuple[Document, DocumentVersion]:
    """The latest version of a public document, for anyone to download."""
    document = _document(db, typed_code)
    if document.confidentiality != Confidentiality.public.value:
        raise NotFound("This document is not public.", code="not_public")
    version = db.scalar(
        select(DocumentVersion).where(
            DocumentVersion.document_id == document.id,
            DocumentVersion.number == document.latest_version,
        )
    )
    assert version is not None
    return document, version
