"""Exporting a dossier as an ENI expediente (``archive.eni``): a zip holding
``expediente.xml`` (the metadata and the electronic index signed with the institution's
seal, CAdES detached over the index's canonical form), and for each document (the signed
index of the dossier included) its latest version and its ``enidoc:documento`` XML.

The organ is the institution's DIR3 code (``DOCSVC_DIR3_CODE``). Identifiers follow the
NTI's pattern ``ES_<organ>_<year>_EXP_<id>`` for the expediente and
``ES_<organ>_<year>_<id>`` for its documents, the id being docsvc's without hyphens."""

from __future__ import annotations

import tempfile
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.eni import EniDocument, EniExpediente, documento_xml, expediente_xml
from docsvc.archival.archive_transfers import dossier_documents
from docsvc.db.base import utcnow
from docsvc.errors import Conflict, NotFound
from docsvc.models import (
    ArchiveHolding,
    ClassificationNode,
    Document,
    DocumentVersion,
    Dossier,
    DossierItem,
    DossierStatus,
)
from docsvc.pki.authorities import timestamper_for, trust_anchors
from docsvc.pki.seal import institution_seal
from docsvc.services import Services
from signing.cades import sign_record
from signing.errors import SigningError
from signing.pades import Level
from signing.verification import VerificationPolicy, verify
from storage.files import save_chunks

# docsvc's document types as the NTI's TipoDocumental.
DOC_TYPES = {
    "resolution": "TD01",
    "letter": "TD06",
    "report": "TD13",
    "request": "TD14",
    "payment_order": "TD99",
    "other": "TD99",
}


@dataclass(frozen=True, slots=True)
class EniPackage:
    path: Path
    documents: int


def _identifier(organ: str, year: int, ident: uuid.UUID, expediente: bool = False) -> str:
    return f"ES_{organ}_{year}_{'EXP_' if expediente else ''}{ident.hex}"


def export_eni(db: Session, services: Services, dossier_id: uuid.UUID, target: Path) -> EniPackage:
    dossier = db.get(Dossier, dossier_id)
    if dossier is None:
        raise NotFound("No such dossier.", code="dossier_not_found")
    settings = services.settings
    organ = settings.dir3_code
    policy = VerificationPolicy(tuple(trust_anchors(settings)))
    added = {
        item.document_id: item
        for item in db.scalars(select(DossierItem).where(DossierItem.dossier_id == dossier.id))
    }
    documents: list[EniDocument] = []
    with (
        tempfile.TemporaryDirectory(prefix="docsvc-eni-") as work,
        zipfile.ZipFile(target, "w", allowZip64=True) as out,
    ):
        for order, document_id in enumerate(dossier_documents(db, dossier), start=1):
            document = db.get(Document, document_id)
            if document is None:
                continue
            version = db.scalar(
                select(DocumentVersion).where(
                    DocumentVersion.document_id == document_id,
                    DocumentVersion.number == document.latest_version,
                )
            )
            assert version is not None
            name = f"documentos/{document_id}.pdf"
            local = Path(work) / f"{document_id}.pdf"
            save_chunks(services.store.iter_chunks(version.sha256), local)
            signed = bool(verify(local, policy).report.signatures)
            item = added.get(document_id)
            eni = EniDocument(
                identifier=_identifier(organ, document.created_at.year, document.id),
                organ=organ,
                captured_at=document.created_at,
                content_file=f"{document_id}.pdf",
                format_name="pdf",
                sha256=version.sha256,
                added_at=item.added_at if item is not None else version.created_at,
                order=order,
                doc_type=DOC_TYPES.get(document.doc_type, "TD99"),
                pades=signed,
                verification_code=document.verification_code,
            )
            documents.append(eni)
            out.write(local, name)
            out.writestr(f"documentos/{document_id}.xml", documento_xml(eni))
            local.unlink()
        holding = db.scalar(select(ArchiveHolding).where(ArchiveHolding.dossier_id == dossier.id))
        node = db.get(ClassificationNode, holding.node_id) if holding is not None else None
        expediente = EniExpediente(
            identifier=_identifier(organ, dossier.created_at.year, dossier.id, expediente=True),
            organ=organ,
            opened_at=dossier.created_at,
            classification=node.full_code if node is not None else "SIN_CLASIFICAR",
            state="E02" if dossier.status == DossierStatus.closed.value else "E01",
            indexed_at=utcnow(),
            documents=tuple(documents),
        )
        keys = services.keys
        try:
            timestamper = timestamper_for(keys, Level.B_T)
        except Conflict:
            timestamper = None  # no TSA configured: the seal alone
        with institution_seal(db, keys) as key:
            try:
                xml = expediente_xml(expediente, lambda data: sign_record(data, key, timestamper))
            except SigningError as exc:
                raise Conflict(f"The index cannot be sealed: {exc}", code="seal_failed") from exc
        out.writestr("expediente.xml", xml)
    return EniPackage(target, len(documents))
