"""What must hold after a fault in a deployment (tests/deploy/test_faults_under_load.py):

- every write that was answered 2xx is still there, as it was answered;
- no document version, signature or other row points to an object the store lacks;
- the register still verifies against a checkpoint saved before the fault, and every
  entry, transfer and document still matches its leaf.

Each check returns the problems it found, so that a failing test says all of them."""

from __future__ import annotations

import uuid
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import select

from docsvc.documents.repository import referenced_object_keys
from docsvc.ledger import audit, checkpoints, log
from docsvc.models import DocumentVersion, RegisterEntry, Transfer
from docsvc.pki.authorities import checkpoint_signer
from docsvc.register import metadata_check
from docsvc.services import Services
from tests.harness.load import recorded


def save_checkpoint(services: Services) -> str:
    """A signed checkpoint of the register as it is now (its note)."""
    with services.sessions() as db:
        made = checkpoints.make_checkpoint(db, services.settings, checkpoint_signer(services.keys))
        db.commit()
        return made.note


def missing_writes(services: Services, record: Path) -> list[str]:
    """The recorded 2xx writes that are not in the database as they were answered."""
    problems = []
    with services.sessions() as db:
        for write in recorded(record):
            kind = write["kind"]
            if kind == "document":
                first = db.scalar(
                    select(DocumentVersion.sha256).where(
                        DocumentVersion.document_id == uuid.UUID(write["id"]),
                        DocumentVersion.number == 1,
                    )
                )
                if first != write["sha256"]:
                    problems.append(f"document {write['id']}: first version {first}")
            elif kind == "signature":
                signed = db.scalar(
                    select(DocumentVersion.sha256).where(
                        DocumentVersion.document_id == uuid.UUID(write["document_id"]),
                        DocumentVersion.number == int(write["version"]),
                    )
                )
                if signed != write["sha256"]:
                    problems.append(f"signature on {write['document_id']}: version {signed}")
            elif kind == "entry":
                if db.get(RegisterEntry, uuid.UUID(write["id"])) is None:
                    problems.append(f"register entry {write['id']} is gone")
            elif kind == "transfer":
                if db.get(Transfer, uuid.UUID(write["id"])) is None:
                    problems.append(f"transfer {write['id']} is gone")
            else:
                problems.append(f"unknown recorded write {write}")
    return problems


def missing_objects(services: Services) -> list[str]:
    """Objects that rows point to and the store does not hold."""
    with services.sessions() as db:
        keys = sorted(set(referenced_object_keys(db)))
    return [
        f"object {key} is referenced but not stored"
        for key in keys
        if not services.store.exists(key)
    ]


def register_problems(services: Services, checkpoint_note: str) -> list[str]:
    """The register against a checkpoint saved before the fault: the same root at its size,
    every leaf up to now rehashed into a fresh checkpoint's root, and every entry,
    transfer, receipt, document and dossier against its leaves."""
    key = checkpoints.verifier_key(services.keys)
    pem = (services.settings.pki_dir / "root.pem").read_bytes()
    roots = [cert.public_bytes(Encoding.DER) for cert in x509.load_pem_x509_certificates(pem)]
    findings = audit.Findings()
    before = audit.open_checkpoint(checkpoint_note, key, roots, findings).checkpoint
    now_note = save_checkpoint(services)
    after = audit.open_checkpoint(now_note, key, roots, findings).checkpoint
    with services.sessions() as db:
        metadata_check.read_one_snapshot(db)
        if after.size < before.size:
            findings.problems.append(f"the register shrank from {before.size} to {after.size}")
        elif log.root_at(db, before.size) != before.root:
            findings.problems.append(f"the root at size {before.size} is not the saved one")
        audit.check_database(log.stored_leaves(db, after.size), after, findings)
        metadata_check.check_metadata(db, findings)
    return findings.problems
