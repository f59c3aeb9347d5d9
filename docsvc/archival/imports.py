"""Importing an archival package from another institution: an E-ARK SIP in a BagIt bag as
docsvc exports it (``archive.package``), or an ENI expediente (``archive.eni``).

The package is read and judged first, under this institution's trust roots, before
anything is written:

- E-ARK: the bag, the METS and every file's hash, the origin register's checkpoint under
  its key (the package's own, or one the importer gives) and every leaf's inclusion proof,
  each document version recorded by a proven leaf, and every signature
  (``archive.package_check``);
- ENI: the index's signature (TF04, CAdES detached over the index's canonical form), each
  document's hash against the index, and every signature.

A package with a problem is refused and nothing is written. Otherwise the documents become
a closed dossier of the importer's department: every version keeps its bytes, so its hash
and signatures, and each is a leaf of this register. What the origin proved (its leaves,
proofs, checkpoint and key, or the signed index) is kept with the import, so that
``origin_evidence`` can check it again at any time, offline. Each version's verdict here is
set beside the one the origin recorded."""

from __future__ import annotations

import hashlib
import json
import uuid
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.eni import ReadDocumento, read_documento, read_expediente
from archive.errors import ArchiveError
from archive.package import unpack
from archive.package_check import (
    ANCHORS,
    CHECKPOINT,
    PROOFS,
    REGISTER_KEY,
    Line,
    PackageReport,
    check_bag,
    prove_leaves,
)
from docsvc.actors.actor import Actor
from docsvc.audit.service import record_event
from docsvc.db.base import utcnow
from docsvc.documents.pdf_inspection import PdfLimits, inspect_pdf
from docsvc.errors import InvalidInput
from docsvc.ledger import events as register_events
from docsvc.models import (
    ArchiveImport,
    Confidentiality,
    Document,
    DocumentType,
    DocumentVersion,
    Dossier,
    DossierItem,
    DossierStatus,
    ImportedDocument,
    ImportStatus,
    PackageFormat,
)
from docsvc.object_claims import claim_for_upload
from docsvc.pki.authorities import trust_anchors
from docsvc.services import Services
from signing.cades import verify_record
from signing.errors import SigningError
from signing.verification import VerificationPolicy, verify
from storage.hashing import digest_of

Progress = Callable[[int, int], object]


class PackageRefused(Exception):
    """The package was read and judged, and cannot be imported: ``report`` says why."""

    def __init__(self, report: PackageReport) -> None:
        super().__init__("; ".join(report.problems) or "the package was refused")
        self.report = report


@dataclass(slots=True)
class _Version:
    path: Path
    sha256: str
    size: int
    filename: str
    reason: str
    origin_verdict: str
    verdict: str = ""
    pages: int = 0


@dataclass(slots=True)
class _Document:
    origin_id: str
    title: str
    doc_type: str
    confidentiality: str
    verification_code: str | None
    # The origin's dossier that holds it (None: a record outside any dossier).
    folder: str | None
    versions: list[_Version] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Folder:
    """An origin dossier, to become a closed dossier here."""

    origin_id: str
    title: str
    subject: str
    confidentiality: str
    closed_at: datetime | None
    sealed_at: datetime | None
    sealed_index: str | None  # the origin id of its signed index


@dataclass(slots=True)
class _Reading:
    """A package read and judged; nothing written yet."""

    format: PackageFormat
    report: PackageReport
    institution: str
    identifier: str
    # What the package is of (a dossier's title, a case, a series, an official): the title
    # of the dossier that gathers its records outside any dossier.
    title: str
    folders: list[_Folder]
    documents: list[_Document]
    register_key: str = ""
    checkpoint: str = ""
    proofs: dict[str, Any] = field(default_factory=dict)
    anchors_pem: str = ""
    index_xml: str = ""


def _sha256(path: Path) -> tuple[str, int]:
    with path.open("rb") as source:
        digest = digest_of(source)
    return digest.sha256, digest.size


def _moment(text: object) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _choice(
    value: object, allowed: type[Confidentiality] | type[DocumentType], default: str
) -> str:
    return str(value) if str(value) in {m.value for m in allowed} else default


def _bad(message: str) -> ArchiveError:
    return ArchiveError("bad_package", message)


def _read_eark(bag_dir: Path, anchors: Sequence[bytes], register_key: str | None) -> _Reading:
    report = check_bag(bag_dir, anchors, register_key)
    if report.verdict == "invalid":
        raise PackageRefused(report)
    root = bag_dir / "data"
    try:
        record = json.loads((root / "metadata/descriptive/record.json").read_text("utf-8"))
        proofs = json.loads((root / PROOFS).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise _bad(f"the package's record cannot be read: {exc}") from exc
    if record.get("type") != "docsvc.archive.package" or record.get("version") != 1:
        raise _bad("the package's record.json is not a docsvc archival package record")
    verdicts = {f.path: f.verdict for f in report.files}
    # Packages of one dossier name it in "dossier"; others list "dossiers", and each
    # document says which holds it.
    shown = record.get("dossiers")
    if not isinstance(shown, list):
        shown = [record["dossier"]] if isinstance(record.get("dossier"), dict) else []
    folders = [_folder(item) for item in shown if isinstance(item, dict)]
    single = folders[0].origin_id if len(folders) == 1 and "dossiers" not in record else None
    documents = []
    for item in record.get("documents", []):
        document = _Document(
            origin_id=str(item.get("id", "")),
            title=str(item.get("title", ""))[:500] or str(item.get("id", "")),
            doc_type=_choice(item.get("doc_type"), DocumentType, DocumentType.other.value),
            confidentiality=_choice(
                item.get("confidentiality"), Confidentiality, Confidentiality.internal.value
            ),
            verification_code=item.get("verification_code") or None,
            folder=item.get("dossier_id") or single,
        )
        for version in sorted(item.get("versions", []), key=lambda v: int(v["number"])):
            relative = str(version.get("path", ""))
            path = (root / relative).resolve()
            if not path.is_relative_to(root.resolve()) or not path.is_file():
                raise _bad(f"the record names a file the package lacks: {relative}")
            sha256, size = _sha256(path)
            if sha256 != str(version.get("sha256", "")).lower():
                report.problems.append(
                    Line(
                        "record_mismatch",
                        "%(file)s does not hash to what record.json says",
                        file=relative,
                    )
                )
                raise PackageRefused(report.settle())
            document.versions.append(
                _Version(
                    path=path,
                    sha256=sha256,
                    size=size,
                    filename=str(version.get("filename") or path.name)[:255],
                    reason=str(version.get("reason") or ""),
                    origin_verdict=str(version.get("verdict") or ""),
                    # check_bag judged every signed file; one it did not list has none.
                    verdict=verdicts.get(relative, "indeterminate"),
                )
            )
        if not document.versions:
            raise _bad(f"document {document.origin_id} has no version in the package")
        documents.append(document)
    if not documents:
        raise _bad("the package holds no document")
    scope = record.get("scope") if isinstance(record.get("scope"), dict) else {}
    first = shown[0] if shown and isinstance(shown[0], dict) else {}
    given_key = (register_key or "").strip()
    return _Reading(
        format=PackageFormat.eark,
        report=report,
        institution=str(record.get("institution") or "")[:500],
        identifier=(
            f"urn:docsvc:{scope.get('kind')}:{scope.get('id')}"
            if scope and scope.get("kind") != "dossier"
            else f"urn:uuid:{first.get('id', '')}"
        ),
        title=str(scope.get("label") or first.get("title") or "")[:500] or "—",
        folders=folders,
        documents=documents,
        register_key=given_key or (root / REGISTER_KEY).read_text("utf-8").strip(),
        checkpoint=(root / CHECKPOINT).read_text("utf-8"),
        proofs=proofs,
        anchors_pem=(root / ANCHORS).read_text("ascii"),
    )


def _folder(item: dict[str, Any]) -> _Folder:
    return _Folder(
        origin_id=str(item.get("id", "")),
        title=str(item.get("title") or "")[:500] or str(item.get("id", "")),
        subject=str(item.get("subject") or ""),
        confidentiality=_choice(
            item.get("confidentiality"), Confidentiality, Confidentiality.internal.value
        ),
        closed_at=_moment(item.get("closed_at")),
        sealed_at=_moment(item.get("sealed_at")),
        sealed_index=str(item["sealed_index_id"]) if item.get("sealed_index_id") else None,
    )


def _eni_content(folder: Path, documento: ReadDocumento, work: Path) -> Path:
    if documento.inline is not None:
        target = work / f"inline-{hashlib.sha256(documento.inline).hexdigest()}.pdf"
        target.write_bytes(documento.inline)
        return target
    if not documento.content_file:
        raise _bad(f"document {documento.identifier} names no content")
    for candidate in (
        folder / documento.content_file,
        folder / "documentos" / documento.content_file,
    ):
        resolved = candidate.resolve()
        if resolved.is_relative_to(folder.resolve()) and resolved.is_file():
            return resolved
    raise _bad(f"the content of {documento.identifier} is missing: {documento.content_file}")


def _read_eni(folder: Path, anchors: Sequence[bytes], work: Path) -> _Reading:
    xml = (folder / "expediente.xml").read_bytes()
    expediente = read_expediente(xml)
    report = PackageReport()
    if expediente.signature_type == "TF04" and expediente.index.signature:
        try:
            seal = verify_record(expediente.index.canonical, expediente.index.signature, anchors)
        except SigningError as exc:
            report.problems.append(
                Line(
                    "index_signature_unreadable",
                    "the electronic index's signature cannot be read: %(detail)s",
                    detail=str(exc),
                )
            )
            raise PackageRefused(report.settle()) from exc
        if seal.verdict == "invalid":
            report.problems.append(
                Line(
                    "index_signature_invalid",
                    "the electronic index's signature does not verify: %(detail)s",
                    detail="; ".join(seal.reasons),
                )
            )
            raise PackageRefused(report.settle())
        if seal.verdict == "indeterminate":
            report.doubts.append(
                Line(
                    "index_untrusted",
                    "the electronic index is signed by %(signer)s, who does not chain to a "
                    "trusted root here",
                    signer=seal.signer_name,
                )
            )
        else:
            report.checked.append(
                Line(
                    "index_signed",
                    "the electronic index is signed by %(signer)s",
                    signer=seal.signer_name,
                )
            )
    else:
        report.doubts.append(
            Line(
                "index_signature_unchecked",
                "the electronic index's signature (%(kind)s) is of a kind not checked here",
                kind=expediente.signature_type or "—",
            )
        )
    documentos: dict[str, ReadDocumento] = {}
    for path in sorted(folder.rglob("*.xml")):
        if path.name == "expediente.xml":
            continue
        try:
            read = read_documento(path.read_bytes())
        except ArchiveError:
            continue  # another XML file (a signature, a manifest): not a document
        documentos[read.identifier] = read
    documents = []
    policy = VerificationPolicy(tuple(anchors))
    for entry in expediente.entries:
        documento = documentos.get(entry.identifier)
        if documento is None:
            raise _bad(f"the index lists {entry.identifier}, which the expediente lacks")
        content = _eni_content(folder, documento, work)
        if entry.algorithm not in ("sha256", "sha384", "sha512", "sha1"):
            raise _bad(f"the index names an unknown digest function: {entry.algorithm}")
        with content.open("rb") as source:
            digest = hashlib.file_digest(source, entry.algorithm).digest()
        if digest != entry.digest:
            report.problems.append(
                Line(
                    "not_indexed",
                    "%(file)s is not the document its index lists",
                    file=entry.identifier,
                )
            )
            raise PackageRefused(report.settle())
        if entry.algorithm == "sha1":
            report.doubts.append(
                Line(
                    "sha1_index",
                    "%(file)s is indexed by SHA-1, no longer secure",
                    file=entry.identifier,
                )
            )
        sha256, size = _sha256(content)
        result = verify(content, policy).report
        if result.verdict == "invalid":
            report.problems.append(
                Line("signature_invalid", "%(file)s: a signature is invalid", file=entry.identifier)
            )
            raise PackageRefused(report.settle())
        if result.signatures and result.verdict == "indeterminate":
            report.doubts.append(
                Line(
                    "signature_indeterminate",
                    "%(file)s: a signature is indeterminate",
                    file=entry.identifier,
                )
            )
        documents.append(
            _Document(
                origin_id=entry.identifier,
                title=entry.identifier[:500],
                doc_type=DocumentType.other.value,
                confidentiality=Confidentiality.internal.value,
                verification_code=None,
                folder=expediente.identifier,
                versions=[
                    _Version(
                        path=content,
                        sha256=sha256,
                        size=size,
                        filename=(documento.content_file or f"{entry.identifier}.pdf")[:255],
                        reason="",
                        origin_verdict="",
                        verdict=result.verdict,
                    )
                ],
            )
        )
    report.checked.append(
        Line(
            "eni_documents",
            "the %(count)s documents are those the index lists",
            count=len(documents),
        )
    )
    return _Reading(
        format=PackageFormat.eni,
        report=report.settle(),
        institution=expediente.organ,
        identifier=expediente.identifier,
        title=expediente.identifier,
        folders=[
            _Folder(
                origin_id=expediente.identifier,
                title=expediente.identifier,
                subject=expediente.classification,
                confidentiality=Confidentiality.internal.value,
                closed_at=_moment(expediente.opened_at) if expediente.state != "E01" else None,
                sealed_at=None,
                sealed_index=None,
            )
        ],
        documents=documents,
        index_xml=xml.decode("utf-8", errors="replace"),
    )


def read_package(
    package: Path,
    work: Path,
    anchors: Sequence[bytes],
    register_key: str | None = None,
) -> _Reading:
    """Unpack ``package`` into ``work`` and read it, E-ARK or ENI. ``PackageRefused`` when
    it is judged unfit, ``ArchiveError`` when it is not a package at all."""
    work.mkdir(parents=True, exist_ok=True)
    if package.is_dir():
        folder = package
    else:
        try:
            with zipfile.ZipFile(package) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError) as exc:
            raise _bad(f"not a package (neither a folder nor a zip): {exc}") from exc
        if "expediente.xml" in names:
            folder = work / "eni"
            folder.mkdir()
            unpack_eni(package, folder)
        else:
            (work / "bag").mkdir()
            folder = unpack(package, work / "bag")
    if (folder / "bagit.txt").is_file():
        return _read_eark(folder, anchors, register_key)
    if (folder / "expediente.xml").is_file():
        return _read_eni(folder, anchors, work)
    raise _bad("the package is neither a BagIt bag (bagit.txt) nor an ENI expediente")


def unpack_eni(package: Path, into: Path) -> None:
    base = into.resolve()
    with zipfile.ZipFile(package) as archive:
        for member in archive.infolist():
            if not (base / member.filename).resolve().is_relative_to(base):
                raise _bad(f"the package names a file outside it: {member.filename}")
        archive.extractall(base)


def _limits(services: Services) -> PdfLimits:
    settings = services.settings
    return PdfLimits(max_pages=settings.max_pdf_pages, max_objects=settings.max_pdf_objects)


def _store(db: Session, services: Services, reading: _Reading, progress: Progress | None) -> None:
    """Each version checked as any upload is, and stored under its hash."""
    versions = [v for d in reading.documents for v in d.versions]
    for number, version in enumerate(versions, start=1):
        try:
            version.pages = inspect_pdf(version.path, _limits(services)).pages
        except InvalidInput as exc:
            raise InvalidInput(
                f"{version.filename} cannot be kept: {exc.message}", code=exc.code
            ) from exc
        claim_for_upload(db, version.sha256)
        stored = services.store.put_file(version.path, sha256=version.sha256)
        if stored.sha256 != version.sha256:
            raise InvalidInput("The stored bytes do not match the package.", code="upload_mismatch")
        if progress is not None:
            progress(number, len(versions))


def _new_dossier(
    db: Session, actor: Actor, record: ArchiveImport, folder: _Folder, now: datetime
) -> Dossier:
    dossier = Dossier(
        id=uuid.uuid4(),
        title=folder.title,
        subject=folder.subject,
        owning_department_id=record.department_id,
        confidentiality=folder.confidentiality,
        # A copy of another institution's record: read, never changed here.
        status=DossierStatus.closed.value,
        created_by_id=actor.user_id,
        closed_at=folder.closed_at or folder.sealed_at or now,
        sealed_at=folder.sealed_at,
    )
    db.add(dossier)
    db.flush()
    return dossier


def _new_document(db: Session, actor: Actor, record: ArchiveImport, read: _Document) -> Document:
    document = Document(
        id=uuid.uuid4(),
        doc_type=read.doc_type,
        title=read.title,
        subject="",
        owning_department_id=record.department_id,
        confidentiality=read.confidentiality,
        created_by_id=actor.user_id,
        latest_version=len(read.versions),
    )
    db.add(document)
    db.flush()
    for number, version in enumerate(read.versions, start=1):
        row = DocumentVersion(
            document_id=document.id,
            number=number,
            sha256=version.sha256,
            size=version.size,
            pages=version.pages,
            filename=version.filename,
            media_type="application/pdf",
            reason=version.reason[:2000],
            author_id=actor.user_id,
        )
        db.add(row)
        db.flush()
        register_events.record_version(db, document, row, actor.username)
    db.add(
        ImportedDocument(
            document_id=document.id,
            import_id=record.id,
            origin_id=read.origin_id[:200],
            origin_verification_code=read.verification_code,
            verdicts=[
                {
                    "number": number,
                    "sha256": v.sha256,
                    "origin_verdict": v.origin_verdict,
                    "verdict": v.verdict,
                }
                for number, v in enumerate(read.versions, start=1)
            ],
        )
    )
    return document


def _write(db: Session, actor: Actor, record: ArchiveImport, reading: _Reading) -> list[Dossier]:
    """Each origin dossier as a closed dossier here, and the records outside any in one
    more, titled as the package; in the package's order."""
    now = utcnow()
    by_origin = {folder.origin_id: folder for folder in reading.folders}
    made: dict[str | None, Dossier] = {}
    positions: dict[str | None, int] = {}
    counts: dict[str | None, int] = {}
    for read in reading.documents:
        key = read.folder if read.folder in by_origin else None
        if key not in made:
            folder = by_origin.get(key or "") or _Folder(
                origin_id="",
                title=reading.title,
                subject="",
                confidentiality=Confidentiality.internal.value,
                closed_at=None,
                sealed_at=None,
                sealed_index=None,
            )
            made[key] = _new_dossier(db, actor, record, folder, now)
        dossier = made[key]
        document = _new_document(db, actor, record, read)
        counts[key] = counts.get(key, 0) + 1
        folder_index = by_origin[key].sealed_index if key is not None else None
        if folder_index is not None and folder_index == read.origin_id:
            dossier.sealed_index_id = document.id
        else:
            positions[key] = positions.get(key, 0) + 1
            db.add(
                DossierItem(
                    dossier_id=dossier.id,
                    document_id=document.id,
                    position=positions[key],
                    added_by_id=actor.user_id,
                )
            )
    db.flush()
    checkpoint_size = reading.proofs.get("size")
    for key, dossier in made.items():
        register_events.record_archival(
            db,
            "dossier_import",
            str(dossier.id),
            {
                "documents": counts.get(key, 0),
                "format": reading.format.value,
                "origin": reading.institution,
                "origin_identifier": key or reading.identifier,
                "package_sha256": record.package_sha256,
                "origin_checkpoint_size": checkpoint_size,
            },
            actor.username,
        )
        register_events.record_archival(
            db,
            "dossier_close",
            str(dossier.id),
            {"documents": positions.get(key, 0)},
            actor.username,
        )
    return list(made.values())


def import_package(
    db: Session,
    services: Services,
    actor: Actor,
    record: ArchiveImport,
    package: Path,
    work: Path,
    progress: Progress | None = None,
) -> ArchiveImport:
    """Read, judge and import ``package`` for ``record`` (which says who imports it, for
    which department, and any register key given). The caller commits. ``PackageRefused``
    leaves nothing written but ``record``'s report."""
    sha256, size = _sha256(package) if package.is_file() else ("", 0)
    record.package_sha256, record.package_size = sha256, size
    anchors = trust_anchors(services.settings)
    try:
        reading = read_package(package, work, anchors, record.given_register_key or None)
    except PackageRefused as refused:
        record.status = ImportStatus.refused.value
        record.verdict = "invalid"
        record.report = refused.report.as_json()
        record.finished_at = utcnow()
        raise
    record.format = reading.format.value
    record.total = sum(len(d.versions) for d in reading.documents)
    # The objects first, each claimed in a transaction of its own (which SQLite allows
    # only while this session has written nothing), then every row.
    _store(db, services, reading, progress)
    if record not in db:
        db.add(record)
        db.flush()
    dossiers = _write(db, actor, record, reading)
    disagreements = [
        Line(
            "verdicts_differ",
            "%(file)s v%(version)s: %(origin)s there, %(here)s here",
            file=d.title,
            version=n,
            origin=v.origin_verdict,
            here=v.verdict,
        )
        for d in reading.documents
        for n, v in enumerate(d.versions, start=1)
        if v.origin_verdict and v.origin_verdict != v.verdict
    ]
    reading.report.doubts.extend(disagreements)
    record.report = reading.report.settle().as_json()
    record.verdict = reading.report.verdict
    record.status = ImportStatus.done.value
    record.dossier_id = dossiers[0].id
    record.dossier_ids = [str(d.id) for d in dossiers]
    record.done = record.total
    record.origin_institution = reading.institution
    record.origin_identifier = reading.identifier[:500]
    record.origin_register_key = reading.register_key
    record.origin_checkpoint = reading.checkpoint
    record.origin_proofs = reading.proofs
    record.origin_index_xml = reading.index_xml
    record.origin_anchors_pem = reading.anchors_pem
    record.finished_at = utcnow()
    record_event(
        db,
        actor,
        "archive.import",
        object_type="dossier",
        object_id=str(dossiers[0].id),
        department_id=record.department_id,
        details={
            "import": str(record.id),
            "dossiers": record.dossier_ids,
            "format": record.format,
            "origin": reading.institution,
            "package_sha256": sha256,
            "verdict": record.verdict,
        },
    )
    db.flush()
    return record


@dataclass(frozen=True, slots=True)
class OriginEvidence:
    """The origin's proofs checked again, here and now, offline."""

    verified: bool
    leaves: int
    checkpoint_size: int
    versions_proven: int
    versions: int
    problems: tuple[Line, ...]


def origin_evidence(db: Session, services: Services, record: ArchiveImport) -> OriginEvidence:
    """Check what the origin proved about the imported documents: its checkpoint under
    its key, each leaf's inclusion proof, and that every imported version's hash is one a
    proven leaf records (E-ARK); the index's signature and each document's hash in it
    (ENI). Nothing but the kept evidence and the stored versions is used."""
    imported = list(
        db.scalars(select(ImportedDocument).where(ImportedDocument.import_id == record.id))
    )
    hashes = {v["sha256"] for item in imported for v in item.verdicts}
    problems: list[Line] = []
    if record.format == PackageFormat.eni.value:
        return _eni_evidence(services, record, hashes)
    found = prove_leaves(
        record.origin_checkpoint,
        record.origin_register_key,
        record.origin_proofs.get("leaves", []),
    )
    problems += found.problems
    problems += [
        Line("version_unrecorded", "version %(file)s is recorded by no proven leaf", file=sha)
        for sha in sorted(hashes - found.recorded)
    ]
    return OriginEvidence(
        verified=not problems,
        leaves=found.proven,
        checkpoint_size=found.checkpoint.size if found.checkpoint is not None else 0,
        versions_proven=len(hashes & found.recorded),
        versions=len(hashes),
        problems=tuple(problems),
    )


def _eni_evidence(services: Services, record: ArchiveImport, hashes: set[str]) -> OriginEvidence:
    problems: list[Line] = []
    try:
        expediente = read_expediente(record.origin_index_xml.encode("utf-8"))
    except ArchiveError as exc:
        return OriginEvidence(
            False, 0, 0, 0, len(hashes), (Line(exc.code, "%(detail)s", detail=exc.message),)
        )
    if expediente.signature_type == "TF04" and expediente.index.signature:
        try:
            seal = verify_record(
                expediente.index.canonical,
                expediente.index.signature,
                trust_anchors(services.settings),
            )
            if seal.verdict == "invalid":
                problems.append(
                    Line(
                        "index_signature_invalid",
                        "the electronic index's signature does not verify: %(detail)s",
                        detail="; ".join(seal.reasons),
                    )
                )
        except SigningError as exc:
            problems.append(
                Line(
                    "index_signature_unreadable",
                    "the electronic index's signature cannot be read: %(detail)s",
                    detail=str(exc),
                )
            )
    listed = {e.digest.hex() for e in expediente.entries if e.algorithm == "sha256"}
    found = hashes & listed if listed else set()
    return OriginEvidence(
        verified=not problems,
        leaves=len(expediente.entries),
        checkpoint_size=0,
        versions_proven=len(found),
        versions=len(hashes),
        problems=tuple(problems),
    )


__all__ = [
    "OriginEvidence",
    "PackageRefused",
    "import_package",
    "origin_evidence",
    "read_package",
]
