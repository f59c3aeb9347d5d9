"""A case's history: every register entry, transfer, receipt, version and signature of the
case, and its dossiers' own steps (closing, sealing, filing in the archive), in the order
the register recorded them, each with its leaf and its inclusion proof against a signed
checkpoint, so that the whole chain can be checked offline."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from docsvc.actors.actor import Actor
from docsvc.errors import NotFound
from docsvc.ledger import checkpoints, log
from docsvc.models import DossierItem, LogLeaf
from docsvc.models.register import RegisterCheckpoint, RegisterEntry
from docsvc.models.transfers import Receipt, Transfer
from docsvc.pki.authorities import checkpoint_signer
from docsvc.register.access import sees_case
from docsvc.runtime.keyring import Keyring


class HistoryItem(BaseModel):
    index: int
    kind: str
    time: str
    object: dict[str, Any]
    data: dict[str, Any]
    leaf_hash: str
    proof: list[str]


class CaseHistory(BaseModel):
    case_id: uuid.UUID
    # The proofs are against this checkpoint (C2SP signed note) of ``size`` leaves.
    checkpoint: str
    size: int
    root: str
    items: list[HistoryItem]


def _by_kind(wanted: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    """The ids wanted of each object type: one IN per type, however many objects."""
    grouped: dict[str, list[str]] = {}
    for kind, ident in wanted:
        grouped.setdefault(kind, []).append(ident)
    return grouped


def proven_leaves(
    db: Session, keys: Keyring, wanted: Sequence[tuple[str, str]]
) -> tuple[RegisterCheckpoint, list[tuple[LogLeaf, bytes, list[bytes]]]]:
    """The leaves about the objects ``wanted`` ((object type, id) pairs) in register
    order, each with its leaf hash and inclusion proof against the latest checkpoint (one
    is made when the latest does not cover them all)."""
    leaves = (
        list(
            db.scalars(
                select(LogLeaf)
                .where(
                    or_(
                        *(
                            (LogLeaf.object_type == kind) & LogLeaf.object_id.in_(idents)
                            for kind, idents in _by_kind(wanted).items()
                        )
                    )
                )
                .order_by(LogLeaf.idx)
            )
        )
        if wanted
        else []
    )
    checkpoint = checkpoints.latest(db)
    needed = (leaves[-1].idx + 1) if leaves else 0
    if checkpoint is None or checkpoint.size < needed:
        checkpoint = checkpoints.make_checkpoint(db, keys.settings, checkpoint_signer(keys))
    proven = []
    for leaf in leaves:
        leaf_hash, proof, _ = log.inclusion(db, leaf.idx, checkpoint.size)
        proven.append((leaf, leaf_hash, list(proof)))
    return checkpoint, proven


def case_history(
    db: Session, keys: Keyring, actor: Actor | None, case_id: uuid.UUID
) -> CaseHistory:
    """``actor`` None: the institution's own view (the CLI)."""
    entries = list(db.scalars(select(RegisterEntry).where(RegisterEntry.case_id == case_id)))
    transfers = list(db.scalars(select(Transfer).where(Transfer.case_id == case_id)))
    if not entries and not transfers:
        raise NotFound("No such case.", code="case_not_found")
    departments = {e.department_id for e in entries} | {
        d for t in transfers for d in (t.from_department_id, t.to_department_id)
    }
    if actor is not None and not sees_case(actor, departments):
        raise NotFound("No such case.", code="case_not_found")
    receipts = list(
        db.scalars(select(Receipt).where(Receipt.transfer_id.in_([t.id for t in transfers])))
    )
    documents = {e.document_id for e in entries} | {t.document_id for t in transfers}
    dossiers = {e.dossier_id for e in entries} | {t.dossier_id for t in transfers}
    dossiers.discard(None)
    if dossiers:
        documents |= set(
            db.scalars(select(DossierItem.document_id).where(DossierItem.dossier_id.in_(dossiers)))
        )
    documents.discard(None)
    wanted = (
        [("register_entry", str(e.id)) for e in entries]
        + [("transfer", str(t.id)) for t in transfers]
        + [("receipt", str(r.id)) for r in receipts]
        + [("document", str(d)) for d in documents]
        # The dossiers' own steps: closing, sealing, filing in the archive, its dates.
        + [("dossier", str(d)) for d in dossiers]
    )
    checkpoint, proven = proven_leaves(db, keys, wanted)
    items = []
    for leaf, leaf_hash, proof in proven:
        document = json.loads(leaf.leaf)
        items.append(
            HistoryItem(
                index=leaf.idx,
                kind=leaf.kind,
                time=document["time"],
                object=document["object"],
                data=document["data"],
                leaf_hash=leaf_hash.hex(),
                proof=[p.hex() for p in proof],
            )
        )
    return CaseHistory(
        case_id=case_id,
        checkpoint=checkpoint.note,
        size=checkpoint.size,
        root=bytes(checkpoint.root).hex(),
        items=items,
    )
