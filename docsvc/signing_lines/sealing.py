"""Sealing a dossier: when its signing line completes, the dossier's index (índice
electrónico del expediente) is generated as a tagged PDF/A document and signed by the
official who completed the line. The index lists the documents in order with each
version's sha256, registry number and date, and so seals the dossier's composition: a
later change needs a new index version (a new version of the same index document).

The index is a document of its own (type "other", owned by the dossier's department),
never an item of the dossier it describes.

Order of work, as for every signature: the index is generated, signed and stored before
any row is written (SQLite's single writer), then recorded (:func:`prepare_seal`, then
:func:`record_seal`). Usually a ``dossier.seal`` job does both after the line's signatures
are recorded, listing the versions they made (``seal_jobs``); a token's key, or a batch,
does them in place, the index listing the versions about to be recorded with it.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from docsvc.actors.actor import Actor
from docsvc.audit.service import record_event
from docsvc.db.base import utcnow
from docsvc.documents import codes
from docsvc.documents.html_pdf import html_pdf
from docsvc.documents.service import PDF_MEDIA_TYPE
from docsvc.dossiers import repository as dossiers
from docsvc.errors import NotFound
from docsvc.ledger import events as register_events
from docsvc.locale import Translator, translator
from docsvc.models import Document, DocumentType, DocumentVersion, Dossier
from docsvc.register.service import dossier_registry_numbers, registry_numbers
from docsvc.runtime.signing import PdfSigner
from docsvc.services import Services
from docsvc.signatures import service as signatures
from docsvc.signatures.schemas import SignIn
from signing.pades import Level

INDEX_FILENAME = "indice-expediente.pdf"
TEMPLATES = Path(__file__).parent / "pdf_templates"


def index_heading(t: Translator) -> str:
    return t.gettext("Dossier index")


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """One document of the dossier as its index lists it."""

    position: int
    title: str
    doc_type: str
    version: int
    sha256: str
    version_date: date
    # The document's registry numbers (número de registro), annulled entries left out.
    registry_number: str | None = None


def build_index_pdf(
    t: Translator,
    institution: str,
    dossier_title: str,
    entries: Sequence[IndexEntry],
    sealed_at: datetime,
    index_version: int = 1,
    dossier_registry_numbers: Sequence[str] = (),
) -> bytes:
    """The index as a tagged PDF/A-2a document in ``t``'s language, its moment in the
    institution's zone; the same inputs always give the same bytes."""
    return html_pdf(
        TEMPLATES,
        "index.html",
        t,
        {
            "heading": index_heading(t),
            "institution": institution,
            "dossier_title": dossier_title,
            "dossier_numbers": list(dossier_registry_numbers),
            "index_version": index_version,
            "sealed_at": sealed_at,
            "entries": list(entries),
        },
    )


def _version(db: Session, document_id: uuid.UUID, number: int) -> DocumentVersion:
    found = db.scalar(
        select(DocumentVersion).where(
            DocumentVersion.document_id == document_id, DocumentVersion.number == number
        )
    )
    if found is None:
        raise NotFound("No such version.", code="version_not_found")
    return found


def index_title(t: Translator, dossier_title: str) -> str:
    return t.gettext("Index — %(title)s", title=dossier_title)[:500]


@dataclass(frozen=True, slots=True)
class PreparedSeal:
    """An index signed and stored, not yet recorded."""

    dossier: Dossier
    new_index: bool
    signed: signatures.SignedFile
    entries: tuple[IndexEntry, ...]
    sealed_at: datetime


def prepare_seal(
    db: Session,
    services: Services,
    actor: Actor,
    dossier_id: uuid.UUID,
    request: SignIn,
    work: Path,
    on_behalf: signatures.OnBehalf | None = None,
    signed_items: Sequence[signatures.SignedFile] = (),
    signer: PdfSigner | None = None,
    versions: Mapping[uuid.UUID, int] | None = None,
) -> PreparedSeal:
    """Generate, sign and store the index, writing no row. ``signed_items`` are the dossier's
    documents just signed and not yet recorded: the index lists the versions they become.
    ``versions`` names the version to list for each document (those a signing line signed,
    for a seal made later by a job); otherwise the latest is listed."""
    signatures.require_official(actor)
    # A record of the institution's: in its language and time zone, whoever seals it.
    t = translator(services.settings.default_language, services.settings.timezone)
    dossier = dossiers.dossier_by_id(db, dossier_id)
    if dossier is None:
        raise NotFound("No such dossier.", code="dossier_not_found")
    sealed_at = utcnow()
    pending = {s.plan.document.id: s for s in signed_items}
    items = list(dossiers.items_of(db, dossier.id))
    numbers = registry_numbers(db, (document.id for _, document, _ in items))
    entries = []
    for item, document, version in items:
        just_signed = pending.get(document.id)
        if just_signed is not None:
            number, sha256, when = (
                just_signed.plan.base.number + 1,
                just_signed.upload.sha256,
                sealed_at,
            )
        else:
            wanted = (versions or {}).get(document.id)
            if wanted is not None and wanted != version.number:
                version = _version(db, document.id, wanted)
            number, sha256, when = version.number, version.sha256, version.created_at
        entries.append(
            IndexEntry(
                position=item.position,
                title=document.title,
                doc_type=document.doc_type,
                version=number,
                sha256=sha256,
                version_date=when.date(),
                registry_number=", ".join(numbers.get(document.id, [])) or None,
            )
        )
    index = db.get(Document, dossier.sealed_index_id) if dossier.sealed_index_id else None
    if index is None:
        index = Document(
            id=uuid.uuid4(),
            doc_type=DocumentType.other.value,
            title=index_title(t, dossier.title),
            subject=t.gettext("Index of the dossier «%(title)s»", title=dossier.title)[:10_000],
            owning_department_id=dossier.owning_department_id,
            confidentiality=dossier.confidentiality,
            created_by_id=actor.user_id,
            latest_version=0,
        )
        new_index = True
    else:
        new_index = False
    base = DocumentVersion(
        document_id=index.id, number=index.latest_version, filename=INDEX_FILENAME
    )
    pdf = build_index_pdf(
        t,
        services.settings.institution_name,
        dossier.title,
        entries,
        sealed_at,
        index.latest_version + 1,
        dossier_registry_numbers(db, dossier.id),
    )
    level = Level(request.level or signatures.default_level(services, index.doc_type))
    plan = signatures.SigningPlan(
        index, base, level, False, index.verification_code or codes.new_code()
    )
    source = work / f"index-{dossier.id}.in.pdf"
    source.write_bytes(pdf)
    index_request = request.model_copy(
        update={
            "certify": False,
            "base_version": None,
            "reason": t.gettext("Dossier sealed"),
        }
    )
    signed = signatures.sign_source_and_store(
        db,
        services,
        actor,
        plan,
        source,
        index_request,
        work / f"index-{dossier.id}.out.pdf",
        on_behalf,
        signer,
    )
    return PreparedSeal(dossier, new_index, signed, tuple(entries), sealed_at)


def record_seal(db: Session, services: Services, actor: Actor, prepared: PreparedSeal) -> Document:
    """Add the signed index as the index document's next version (creating the document at
    the first seal), record its signature, and mark the dossier sealed."""
    signed = prepared.signed
    index = signed.plan.document
    dossier = prepared.dossier
    number = signed.plan.base.number + 1
    if prepared.new_index:
        index.latest_version = number
        db.add(index)
        db.flush()
    kind = "approval"
    version = DocumentVersion(
        document_id=index.id,
        number=number,
        sha256=signed.upload.sha256,
        size=signed.upload.size,
        pages=signed.pages,
        filename=INDEX_FILENAME,
        media_type=PDF_MEDIA_TYPE,
        reason="created"
        if number == 1
        else f"index version {number}: the dossier was signed again",
        author_id=actor.user_id,
    )
    db.add(version)
    index.latest_version = number
    db.flush()
    if prepared.new_index:
        record_event(
            db,
            actor,
            "document.create",
            object_type="document",
            object_id=str(index.id),
            department_id=index.owning_department_id,
            details={
                "sha256": signed.upload.sha256,
                "size": signed.upload.size,
                "title": index.title,
            },
        )
    signatures.record_signature_row(
        db,
        actor,
        index,
        version,
        signed.credential,
        signed.field_name,
        signed.plan.level,
        kind,
        signed.upload.sha256,
    )
    signatures.save_verification_code(db, signed.plan)
    dossier.sealed_index_id = index.id
    dossier.sealed_at = prepared.sealed_at
    db.flush()
    register_events.record_archival(
        db,
        "dossier_seal",
        str(dossier.id),
        {
            "index_id": str(index.id),
            "index_version": number,
            "index_sha256": signed.upload.sha256,
            "documents": [
                {"position": e.position, "version": e.version, "sha256": e.sha256}
                for e in prepared.entries
            ],
        },
        actor.username,
    )
    record_event(
        db,
        actor,
        "dossier.seal",
        object_type="dossier",
        object_id=str(dossier.id),
        department_id=dossier.owning_department_id,
        details={
            "index_id": str(index.id),
            "index_version": number,
            "sha256": signed.upload.sha256,
            "documents": len(prepared.entries),
        },
    )
    return index


def seal_dossier(
    db: Session,
    services: Services,
    actor: Actor,
    dossier_id: uuid.UUID,
    request: SignIn,
    on_behalf: signatures.OnBehalf | None = None,
) -> Document:
    """Seal a dossier as it stands (a new index version if it was sealed before). Call it
    before the request writes any row: the index is stored in its own transaction."""
    services.settings.upload_tmp_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=services.settings.upload_tmp_dir) as work:
        prepared = prepare_seal(db, services, actor, dossier_id, request, Path(work), on_behalf)
        return record_seal(db, services, actor, prepared)
