"""Exporting a dossier as an archival package (``archive.package``): an E-ARK SIP inside a
BagIt bag that another archive, a court or the national archive reads and checks without
docsvc (``archive.package_check``, ``docsvc archive verify``).

What goes in, for the dossier and each of its documents (the signed index included):

- every version as stored (the original and each signed or renewed version), with its
  validation reports (JSON, and ETSI TS 119 102-2 XML when it is signed);
- ``record.json``: the dossier, its classification, its holding (phase, retention dates,
  disposition, holds) and, per document, its versions with their SHA-256;
- the register: every leaf about the dossier, its documents, its register entries,
  transfers and receipts, each with its inclusion proof against a signed checkpoint, the
  checkpoint and the register's key; PREMIS events drawn from those leaves;
- the trust anchors the signatures were checked against, and a reader's guide.

The files are written one at a time into a scratch folder and copied into the bag in
chunks, so the memory used does not grow with the dossier."""

from __future__ import annotations

import json
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from archive.package import Content, Entry, Event, build, zip_bag
from archive.package_check import ANCHORS, CHECKPOINT, EVIDENCE, PROOFS, REGISTER_KEY
from docsvc.archival.archive_transfers import dossier_documents
from docsvc.archival.export_scopes import Scope, ScopeKind, scope_of
from docsvc.db.base import utcnow
from docsvc.documents.repository import content_disposed
from docsvc.errors import InvalidInput
from docsvc.ledger.checkpoints import verifier_key
from docsvc.locale import Translator
from docsvc.models import (
    ArchiveHolding,
    ClassificationNode,
    DisposalItem,
    DisposalProposal,
    Document,
    DocumentVersion,
    Dossier,
    RegisterEntry,
)
from docsvc.models.transfers import Receipt, Transfer
from docsvc.pki.authorities import trust_anchors
from docsvc.register.history import proven_leaves
from docsvc.services import Services
from signing.verification import VerificationPolicy, verify
from storage.files import save_chunks

SCHEMA_NAME = "docsvc-record.schema.json"
RECORD_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "docsvc archival package record",
    "type": "object",
    "required": ["type", "version", "scope", "dossiers", "documents"],
    "properties": {
        "type": {"const": "docsvc.archive.package"},
        "version": {"const": 1},
        "institution": {"type": "string"},
        "exported_at": {"type": "string", "format": "date-time"},
        "scope": {
            "type": "object",
            "required": ["kind", "id", "label"],
            "properties": {"kind": {"enum": ["dossier", "case", "series", "official"]}},
        },
        "dossier": {"type": ["object", "null"]},
        "dossiers": {"type": "array", "items": {"type": "object"}},
        "classification": {"type": ["object", "null"]},
        "holding": {"type": ["object", "null"]},
        "documents": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "title", "versions"],
                "properties": {
                    "versions": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["number", "sha256", "size", "path"],
                        },
                    }
                },
            },
        },
    },
}


@dataclass(frozen=True, slots=True)
class ExportedPackage:
    path: Path
    documents: int
    versions: int
    leaves: int


def _software_version() -> str:
    try:
        return version("docsvc")
    except PackageNotFoundError:  # a checkout run without installing
        return "0"


def _pem(ders: list[bytes]) -> str:
    return "".join(
        x509.load_der_x509_certificate(der).public_bytes(Encoding.PEM).decode() for der in ders
    )


def _wanted(
    db: Session, dossiers: list[uuid.UUID], documents: list[uuid.UUID]
) -> list[tuple[str, str]]:
    """The register's objects about the records: the dossiers, their documents, and the
    entries, transfers and receipts that concern any of them."""
    entries = list(
        db.scalars(
            select(RegisterEntry.id).where(
                or_(
                    RegisterEntry.dossier_id.in_(dossiers),
                    RegisterEntry.document_id.in_(documents),
                )
            )
        )
    )
    transfers = list(
        db.scalars(
            select(Transfer.id).where(
                or_(Transfer.dossier_id.in_(dossiers), Transfer.document_id.in_(documents))
            )
        )
    )
    receipts = list(db.scalars(select(Receipt.id).where(Receipt.transfer_id.in_(transfers))))
    return (
        [("dossier", str(d)) for d in dossiers]
        + [("document", str(d)) for d in documents]
        + [("register_entry", str(e)) for e in entries]
        + [("transfer", str(t)) for t in transfers]
        + [("receipt", str(r)) for r in receipts]
    )


def _readme(t: Translator, scope: Scope, institution: str) -> str:
    titles = {
        ScopeKind.dossier: t.gettext(
            "Archival package of the dossier “%(title)s”", title=scope.label
        ),
        ScopeKind.case: t.gettext("Archival package of the case %(label)s", label=scope.label),
        ScopeKind.series: t.gettext("Archival package of the series %(label)s", label=scope.label),
        ScopeKind.official: t.gettext(
            "Archival package of the records opened by %(label)s", label=scope.label
        ),
    }
    lines = [
        titles[scope.kind],
        t.gettext("Exported by %(institution)s with docsvc.", institution=institution),
        "",
        t.gettext(
            "This is an E-ARK SIP (CSIP 2.1) inside a BagIt bag (RFC 8493). "
            "representations/rep1/data holds every version of every document as it was "
            "stored; representations/rep1/metadata/preservation, their validation reports; "
            "metadata/descriptive/record.json, the dossier, its classification and "
            "retention; metadata/preservation, the register's leaves with their inclusion "
            "proofs, the signed checkpoint they are proven against, the register's key and "
            "the trust anchors."
        ),
        "",
        t.gettext(
            "To check it with no access to the institution: docsvc archive verify PACKAGE "
            "(validates the bag, the METS, every signature and every register proof, and "
            "prints one verdict). Give the institution's published trust anchors and "
            "register key with --trust and --key rather than trusting the copies inside."
        ),
    ]
    return "\n".join(lines) + "\n"


@contextmanager
def _scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="docsvc-export-") as work:
        yield Path(work)


def export_dossier(
    db: Session,
    services: Services,
    dossier_id: uuid.UUID,
    target: Path,
    t: Translator,
    progress: Callable[[int, int], object] | None = None,
) -> ExportedPackage:
    """Write the dossier's package as a zip to ``target``."""
    scope = scope_of(db, ScopeKind.dossier.value, str(dossier_id))
    return export_scope(db, services, scope, target, t, progress)


def _members(db: Session, scope: Scope) -> tuple[list[Dossier], dict[uuid.UUID, Dossier | None]]:
    """The scope's dossiers, and each document to export with the dossier that holds it
    (None for one outside them), in order; each once; none whose content was disposed of."""
    dossiers = [d for d in (db.get(Dossier, i) for i in scope.dossiers) if d is not None]
    members: dict[uuid.UUID, Dossier | None] = {}
    candidates: list[tuple[uuid.UUID, Dossier | None]] = [
        (d, dossier) for dossier in dossiers for d in dossier_documents(db, dossier)
    ]
    candidates += [(d, None) for d in scope.documents]
    for document_id, dossier in candidates:
        if document_id in members or db.get(Document, document_id) is None:
            continue
        if content_disposed(db, document_id):
            continue
        members[document_id] = dossier
    return dossiers, members


def _holding_json(db: Session, holding: ArchiveHolding | None) -> dict[str, Any]:
    node = db.get(ClassificationNode, holding.node_id) if holding is not None else None
    return {
        "classification": (
            {"code": node.full_code, "name": node.name, "level": node.level}
            if node is not None
            else None
        ),
        "holding": (
            {
                "phase": holding.phase,
                "starts_on": _day(holding.starts_on),
                "central_on": _day(holding.central_on),
                "disposal_on": _day(holding.disposal_on),
                "disposition": holding.disposition,
                "on_hold": holding.on_hold,
                "retention_table_id": str(holding.table_id) if holding.table_id else None,
            }
            if holding is not None
            else None
        ),
    }


def _dossier_json(db: Session, dossier: Dossier, documents: list[uuid.UUID]) -> dict[str, Any]:
    holding = db.scalar(select(ArchiveHolding).where(ArchiveHolding.dossier_id == dossier.id))
    return {
        "id": str(dossier.id),
        "title": dossier.title,
        "subject": dossier.subject,
        "confidentiality": dossier.confidentiality,
        "status": dossier.status,
        "created_at": dossier.created_at.isoformat(),
        "closed_at": dossier.closed_at.isoformat() if dossier.closed_at else None,
        "sealed_at": dossier.sealed_at.isoformat() if dossier.sealed_at else None,
        "sealed_index_id": str(dossier.sealed_index_id) if dossier.sealed_index_id else None,
        "documents": [str(d) for d in documents],
        **_holding_json(db, holding),
    }


def export_scope(
    db: Session,
    services: Services,
    scope: Scope,
    target: Path,
    t: Translator,
    progress: Callable[[int, int], object] | None = None,
) -> ExportedPackage:
    """Write the scope's package as a zip to ``target``. ``progress(done, total)`` is told
    after each version is written and checked."""
    settings = services.settings
    dossiers, members = _members(db, scope)
    if not members and not dossiers:
        raise InvalidInput("There is no record to export there.", code="export_empty")
    documents = list(members)
    indexes = {d.sealed_index_id for d in dossiers if d.sealed_index_id is not None}
    total = (
        db.scalar(
            select(func.count())
            .select_from(DocumentVersion)
            .where(DocumentVersion.document_id.in_(documents))
        )
        or 0
    )
    anchors = trust_anchors(settings)
    policy = VerificationPolicy(tuple(anchors), etsi_report=True)
    with _scratch() as work:
        files = work / "files"
        data: list[Entry] = []
        reports: list[Entry] = []
        described = []
        paths_of: dict[str, list[str]] = {}
        version_count = 0
        for document_id in documents:
            document = db.get(Document, document_id)
            assert document is not None
            versions = list(
                db.scalars(
                    select(DocumentVersion)
                    .where(DocumentVersion.document_id == document_id)
                    .order_by(DocumentVersion.number)
                )
            )
            shown = []
            for row in versions:
                relative = f"data/{document_id}/v{row.number}.pdf"
                source = files / str(document_id) / f"v{row.number}.pdf"
                source.parent.mkdir(parents=True, exist_ok=True)
                save_chunks(services.store.iter_chunks(row.sha256), source)
                data.append(Entry(relative, source, "application/pdf"))
                paths_of.setdefault(str(document_id), []).append(f"representations/rep1/{relative}")
                result = verify(source, policy)
                stem = f"metadata/preservation/{document_id}-v{row.number}"
                report_json = source.with_suffix(".report.json")
                report_json.write_text(
                    json.dumps(result.report.as_json(), ensure_ascii=False, indent=2),
                    encoding="utf-8",
                )
                reports.append(Entry(f"{stem}.report.json", report_json, "application/json"))
                if result.etsi_xml is not None:
                    etsi = source.with_suffix(".etsi.xml")
                    etsi.write_bytes(result.etsi_xml)
                    reports.append(Entry(f"{stem}.etsi.xml", etsi, "text/xml"))
                shown.append(
                    {
                        "number": row.number,
                        "sha256": row.sha256,
                        "size": row.size,
                        "filename": row.filename,
                        "reason": row.reason,
                        "created_at": row.created_at.isoformat(),
                        "path": f"representations/rep1/{relative}",
                        "verdict": result.report.verdict,
                    }
                )
                version_count += 1
                if progress is not None:
                    progress(version_count, total)
            holder = members[document_id]
            loose = (
                _holding_json(
                    db,
                    db.scalar(
                        select(ArchiveHolding).where(ArchiveHolding.document_id == document_id)
                    ),
                )
                if holder is None
                else {}
            )
            described.append(
                {
                    "id": str(document.id),
                    "title": document.title,
                    "doc_type": document.doc_type,
                    "confidentiality": document.confidentiality,
                    "verification_code": document.verification_code,
                    "latest_version": document.latest_version,
                    "dossier_id": str(holder.id) if holder is not None else None,
                    "sealed_index": document.id in indexes,
                    "versions": shown,
                    **loose,
                }
            )

        exported_at = utcnow()
        disposed: list[dict[str, Any]] = []
        in_dossier = {
            dossier.id: [d for d, holder in members.items() if holder is dossier]
            for dossier in dossiers
        }
        shown_dossiers = [_dossier_json(db, d, in_dossier[d.id]) for d in dossiers]
        single = shown_dossiers[0] if scope.kind is ScopeKind.dossier else None
        record = {
            "type": "docsvc.archive.package",
            "version": 1,
            "institution": settings.institution_name,
            "exported_at": exported_at.isoformat(),
            "scope": {"kind": scope.kind.value, "id": scope.ident, "label": scope.label},
            "dossiers": shown_dossiers,
            # A one-dossier package names it here too, with its classification and holding.
            "dossier": single,
            "classification": single["classification"] if single else None,
            "holding": single["holding"] if single else None,
            "documents": described,
            "disposals": disposed,
        }
        disposals = _disposals(db, scope, [d.id for d in dossiers], documents)
        disposal_entries: list[Entry] = []
        for proposal in disposals:
            assert proposal.record is not None and proposal.signature is not None
            stem = f"{EVIDENCE}/disposal-{proposal.number}"
            record_file = work / f"disposal-{proposal.number}.json"
            record_file.write_bytes(proposal.record)
            signature_file = work / f"disposal-{proposal.number}.p7s"
            signature_file.write_bytes(proposal.signature)
            disposal_entries += [
                Entry(f"{stem}.json", record_file, "application/json"),
                Entry(f"{stem}.p7s", signature_file, "application/pkcs7-signature"),
            ]
            disposed.append(
                {
                    "number": proposal.number,
                    "status": proposal.status,
                    "executed_at": proposal.executed_at.isoformat()
                    if proposal.executed_at
                    else None,
                    "record": f"{stem}.json",
                    "signature": f"{stem}.p7s",
                }
            )
        record_path = work / "record.json"
        record_path.write_text(json.dumps(record, ensure_ascii=False, indent=2), "utf-8")

        checkpoint, proven = proven_leaves(
            db, services.keys, _wanted(db, [d.id for d in dossiers], documents)
        )
        proofs_path = work / "register-proofs.json"
        proofs_path.write_text(
            json.dumps(
                {
                    "size": checkpoint.size,
                    "leaves": [
                        {
                            "index": leaf.idx,
                            "leaf": json.loads(leaf.leaf),
                            "leaf_hash": leaf_hash.hex(),
                            "proof": [p.hex() for p in proof],
                        }
                        for leaf, leaf_hash, proof in proven
                    ],
                },
                ensure_ascii=False,
            ),
            "utf-8",
        )
        checkpoint_path = work / "register-checkpoint.txt"
        checkpoint_path.write_text(checkpoint.note, "utf-8")
        key_path = work / "register-key.txt"
        key_path.write_text(f"{verifier_key(services.keys)}\n", "utf-8")
        anchors_path = work / "trust-anchors.pem"
        anchors_path.write_text(_pem(anchors), "ascii")
        readme = work / "LEEME.txt"
        readme.write_text(_readme(t, scope, settings.institution_name), "utf-8")
        schema = work / SCHEMA_NAME
        schema.write_text(json.dumps(RECORD_SCHEMA, indent=2), "utf-8")

        events = tuple(
            Event(
                identifier=str(leaf.idx),
                kind=leaf.kind,
                time=json.loads(leaf.leaf).get("time", ""),
                files=tuple(paths_of.get(leaf.object_id, ())),
            )
            for leaf, _, _ in proven
        )
        object_id = (
            f"urn:uuid:{scope.ident}" if scope.kind is ScopeKind.dossier else scope.object_id()
        )
        content = Content(
            object_id=object_id,
            label=scope.label,
            created=exported_at,
            software_version=_software_version(),
            descriptive=Entry("metadata/descriptive/record.json", record_path, "application/json"),
            preservation=(
                Entry(PROOFS, proofs_path, "application/json"),
                Entry(CHECKPOINT, checkpoint_path, "text/plain"),
                Entry(REGISTER_KEY, key_path, "text/plain"),
                Entry(ANCHORS, anchors_path, "application/pem-certificate-chain"),
                *disposal_entries,
            ),
            documentation=(Entry("documentation/LEEME.txt", readme, "text/plain"),),
            schemas=(Entry(f"schemas/{SCHEMA_NAME}", schema, "application/schema+json"),),
            data=tuple(data),
            data_reports=tuple(reports),
            events=events,
            bag_info={
                "Source-Organization": settings.institution_name,
                "External-Identifier": object_id,
                "External-Description": scope.label,
            },
        )
        bag = build(content, work / f"paquete-{scope.kind.value}-{_safe(scope.ident)}")
        zip_bag(bag, target)
    return ExportedPackage(target, len(documents), version_count, len(proven))


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _safe(text: str) -> str:
    """A folder name made of the scope's id (a series' code, a username, an id)."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)[:80]


def _disposals(
    db: Session, scope: Scope, dossiers: list[uuid.UUID], documents: list[uuid.UUID]
) -> list[DisposalProposal]:
    """The signed disposal records (actas de eliminación) of the package's holdings: those
    of its dossiers and documents, and for a series those of everything filed under it."""
    holdings = set(scope.holdings) | set(
        db.scalars(
            select(ArchiveHolding.id).where(
                or_(
                    ArchiveHolding.dossier_id.in_(dossiers),
                    ArchiveHolding.document_id.in_(documents),
                )
            )
        )
    )
    if not holdings:
        return []
    return list(
        db.scalars(
            select(DisposalProposal)
            .where(
                DisposalProposal.id.in_(
                    select(DisposalItem.proposal_id).where(DisposalItem.holding_id.in_(holdings))
                ),
                DisposalProposal.record.is_not(None),
                DisposalProposal.signature.is_not(None),
            )
            .order_by(DisposalProposal.number)
        )
    )
