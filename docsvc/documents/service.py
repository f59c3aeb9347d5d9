"""Document rules: creating documents and versions, reading, listing, downloading.

Order of work on every write, so that a crash can leave an orphan object but never a row
that points to nothing: check the file, store the bytes under their hash, then add the rows
in the request's transaction (committed by the request, not here).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from docsvc.actors.actor import Actor
from docsvc.audit.service import record_event
from docsvc.config import Settings
from docsvc.documents import repository
from docsvc.documents.access import can_author, can_read
from docsvc.documents.pdf_inspection import PdfLimits, inspect_pdf
from docsvc.documents.schemas import (
    DocumentFilter,
    DocumentMetadataIn,
    DocumentOut,
    DocumentPage,
    VersionOut,
)
from docsvc.documents.uploads import ReceivedFile
from docsvc.errors import Conflict, Gone, InvalidInput, NotFound, PermissionDenied
from docsvc.identity.repository import department_code
from docsvc.ledger import events as register_events
from docsvc.models import Confidentiality, Document, DocumentType, DocumentVersion
from docsvc.object_claims import claim_for_upload
from storage import ObjectStore

PDF_MEDIA_TYPE = "application/pdf"


@dataclass(frozen=True, slots=True)
class Download:
    key: str
    sha256: str
    size: int
    filename: str
    media_type: str


def _stored_pdf(db: Session, store: ObjectStore, settings: Settings, upload: ReceivedFile) -> int:
    """Check the upload and store it; returns its page count."""
    if upload.size == 0:
        raise InvalidInput("The uploaded file is empty.", code="empty_file")
    facts = inspect_pdf(
        upload.path,
        PdfLimits(max_pages=settings.max_pdf_pages, max_objects=settings.max_pdf_objects),
    )
    claim_for_upload(db, upload.sha256)
    stored = store.put_file(upload.path, sha256=upload.sha256)
    if stored.sha256 != upload.sha256 or stored.size != upload.size:
        raise InvalidInput("The stored bytes do not match the upload.", code="upload_mismatch")
    return facts.pages


def create_document(
    db: Session,
    store: ObjectStore,
    settings: Settings,
    actor: Actor,
    metadata: DocumentMetadataIn,
    upload: ReceivedFile,
) -> DocumentOut:
    if not can_author(actor, actor.department_id):
        raise PermissionDenied(
            "Your role cannot create documents.", code="role_cannot_create_documents"
        )
    pages = _stored_pdf(db, store, settings, upload)
    document = Document(
        id=uuid.uuid4(),
        doc_type=metadata.doc_type.value,
        title=metadata.title,
        subject=metadata.subject,
        owning_department_id=actor.department_id,
        confidentiality=metadata.confidentiality.value,
        created_by_id=actor.user_id,
        latest_version=1,
    )
    version = DocumentVersion(
        document_id=document.id,
        number=1,
        sha256=upload.sha256,
        size=upload.size,
        pages=pages,
        filename=upload.filename,
        media_type=PDF_MEDIA_TYPE,
        reason="created",
        author_id=actor.user_id,
    )
    db.add(document)
    db.flush()
    db.add(version)
    db.flush()
    register_events.record_version(db, document, version, actor.username)
    record_event(
        db,
        actor,
        "document.create",
        object_type="document",
        object_id=str(document.id),
        department_id=document.owning_department_id,
        details={"sha256": upload.sha256, "size": upload.size, "title": metadata.title},
    )
    return _document_out(db, document, [version], with_versions=True)


def add_version(
    db: Session,
    store: ObjectStore,
    settings: Settings,
    actor: Actor,
    document_id: uuid.UUID,
    upload: ReceivedFile,
    reason: str,
) -> DocumentOut:
    document = _readable_document(db, actor, document_id)
    if not can_author(actor, document.owning_department_id):
        raise PermissionDenied(
            "Only the owning department's officials and staff can add versions.",
            code="not_owning_department",
        )
    if not reason.strip():
        raise InvalidInput("Say why this version is made (field 'reason').", code="reason_required")
    pages = _stored_pdf(db, store, settings, upload)
    number = document.latest_version + 1
    version = DocumentVersion(
        document_id=document.id,
        number=number,
        sha256=upload.sha256,
        size=upload.size,
        pages=pages,
        filename=upload.filename,
        media_type=PDF_MEDIA_TYPE,
        reason=reason.strip()[:2000],
        author_id=actor.user_id,
    )
    db.add(version)
    # The unique (document_id, number) constraint turns a concurrent second writer into a
    # conflict instead of a silently shared number.
    document.latest_version = number
    db.flush()
    register_events.record_version(db, document, version, actor.username)
    record_event(
        db,
        actor,
        "document.version_add",
        object_type="document",
        object_id=str(document.id),
        department_id=document.owning_department_id,
        details={"version": number, "sha256": upload.sha256, "size": upload.size},
    )
    return _document_out(db, document, repository.versions_of(db, document.id), with_versions=True)


def store_pdf(db: Session, store: ObjectStore, settings: Settings, upload: ReceivedFile) -> int:
    """Check and store a file before any row is written (its object claim commits on its
    own, which SQLite allows only while the request has written nothing). Returns pages."""
    return _stored_pdf(db, store, settings, upload)


def readable_document(db: Session, actor: Actor, document_id: uuid.UUID) -> Document:
    """The document if the actor may see it; NotFound otherwise (same answer for both)."""
    return _readable_document(db, actor, document_id)


def add_signed_version(
    db: Session,
    store: ObjectStore,
    settings: Settings,
    actor: Actor | None,
    document: Document,
    signed: ReceivedFile,
    base_version: int,
    reason: str,
    stored_pages: int | None = None,
) -> DocumentVersion:
    """A version made by signing ``base_version``. The signer need not belong to the owning
    department (a minister signs what legal advisory drafted); reading rights were checked
    by the caller. The file is checked like any upload before it is stored. Without an
    ``actor``, the service itself made it (an archive timestamp's renewal)."""
    if document.latest_version != base_version:
        raise Conflict(
            "The document gained a new version while it was being signed; sign the new one.",
            code="version_changed",
        )
    pages = stored_pages if stored_pages is not None else _stored_pdf(db, store, settings, signed)
    number = base_version + 1
    version = DocumentVersion(
        document_id=document.id,
        number=number,
        sha256=signed.sha256,
        size=signed.size,
        pages=pages,
        filename=signed.filename,
        media_type=PDF_MEDIA_TYPE,
        reason=reason[:2000],
        author_id=actor.user_id if actor is not None else None,
    )
    db.add(version)
    document.latest_version = number
    db.flush()
    by = actor.username if actor is not None else register_events.SERVICE_AUTHOR
    register_events.record_version(db, document, version, by)
    return version


def get_document(db: Session, actor: Actor, document_id: uuid.UUID) -> DocumentOut:
    document = _readable_document(db, actor, document_id)
    record_event(
        db,
        actor,
        "document.read",
        object_type="document",
        object_id=str(document.id),
        department_id=document.owning_department_id,
    )
    return _document_out(db, document, repository.versions_of(db, document.id), with_versions=True)


def list_documents(db: Session, actor: Actor, flt: DocumentFilter) -> DocumentPage:
    total, rows = repository.page_of_documents(db, actor, flt)
    record_event(
        db,
        actor,
        "document.list",
        object_type="document",
        details={k: str(v) for k, v in flt.model_dump(exclude_none=True).items()},
    )
    items = [
        _out(document, owner_code, creator, VersionOut.model_validate(latest), None)
        for document, owner_code, creator, latest in rows
    ]
    return DocumentPage(total=total, limit=flt.limit, offset=flt.offset, items=items)


def require_content(db: Session, document_id: uuid.UUID) -> None:
    """Gone (410) when a disposal eliminated the document's content."""
    if repository.content_disposed(db, document_id):
        raise Gone(
            "The document's content was eliminated under the retention table; its "
            "description and the disposal record remain.",
            code="content_disposed",
        )


def prepare_download(
    db: Session, actor: Actor, document_id: uuid.UUID, number: int | None
) -> Download:
    document = _readable_document(db, actor, document_id)
    wanted = number if number is not None else document.latest_version
    version = repository.version_of(db, document.id, wanted)
    if version is None:
        raise NotFound(f"The document has no version {wanted}.", code="version_not_found")
    require_content(db, document.id)
    record_event(
        db,
        actor,
        "document.download",
        object_type="document",
        object_id=str(document.id),
        department_id=document.owning_department_id,
        details={"version": version.number, "sha256": version.sha256},
    )
    return Download(
        key=version.sha256,
        sha256=version.sha256,
        size=version.size,
        filename=version.filename,
        media_type=version.media_type,
    )


def stream_download(store: ObjectStore, download: Download) -> Iterator[bytes]:
    return store.iter_chunks(download.key)


def _readable_document(db: Session, actor: Actor, document_id: uuid.UUID) -> Document:
    document = repository.document_by_id(db, document_id)
    if document is None or not (
        can_read(
            actor,
            document.owning_department_id,
            document.confidentiality,
            repository.granted_departments(db, document.id),
        )
        or repository.archive_lets_read(db, actor, document.id)
    ):
        # Same answer for "absent" and "not yours", so confidential documents of other
        # departments cannot be discovered by probing identifiers.
        raise NotFound("No such document, or it is not visible to you.", code="document_not_found")
    return document


def _document_out(
    db: Session,
    document: Document,
    versions: Sequence[DocumentVersion],
    *,
    with_versions: bool,
) -> DocumentOut:
    version_list = [VersionOut.model_validate(v) for v in versions]
    latest = max(version_list, key=lambda v: v.number)
    return _out(
        document,
        department_code(db, document.owning_department_id),
        repository.username_of(db, document.created_by_id),
        latest,
        version_list if with_versions else None,
    )


def _out(
    document: Document,
    owner_code: str,
    creator: str,
    latest: VersionOut,
    versions: list[VersionOut] | None,
) -> DocumentOut:
    return DocumentOut(
        id=document.id,
        doc_type=DocumentType(document.doc_type),
        title=document.title,
        subject=document.subject,
        confidentiality=Confidentiality(document.confidentiality),
        owning_department=owner_code,
        created_by=creator,
        created_at=document.created_at,
        latest_version=latest,
        versions=versions,
    )
