"""``docsvc register verify --database``, second half: what the database says now about each
register entry, transfer, receipt, document and dossier, against the leaf that last
recorded it. Rehashing the leaves proves the log; this proves that the rows people read
still say what the log says (a subject edited, a document made public, a transfer sent
elsewhere, all directly in the database, show here).

The current rows go through the same functions that built the leaves (``LeafData``
builders in ``register.events``, ``register.service`` and ``transfers.service``), and only
what a leaf records is compared: its public data as it is, its private details (the stored
details the leaf's ``details_sha256`` commits to, first checked against it) without their
salt. Where a later event changes a row (an annulment, a receipt, a new version, a seal),
the later leaf is what the row is compared with.

The pure functions (``read_leaf``, ``compare``) take leaves and ``LeafData``; ``Checker``
reads the leaves object by object and the rows they name, a batch at a time."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any, Literal, TypeGuard

from sqlalchemy import select
from sqlalchemy.orm import Session

from docsvc.ledger.audit import Findings
from docsvc.ledger.events import (
    SERVICE_AUTHOR,
    LeafData,
    receipt_leaf,
    signature_leaf,
    transfer_leaf,
    version_leaf,
)
from docsvc.models import (
    Department,
    Document,
    DocumentVersion,
    Dossier,
    DossierItem,
    DossierStatus,
    SignatureRecord,
    User,
)
from docsvc.models.register import LogLeaf, RegisterEntry
from docsvc.models.transfers import Receipt, Transfer, TransferStatus
from docsvc.register.service import annulment_leaf, entry_leaf
from transparency import canonical

# Objects whose rows are read together, in one query per table.
BATCH = 500
# A ``document.version`` leaf's fields that are the document's own (``version_leaf``); the
# others are the version's, each version checked against its own leaf.
DOCUMENT_FIELDS = frozenset({"doc_type", "title", "confidentiality"})
# The document's version when the entry was made: a snapshot of another object, whose own
# leaves are checked with the document.
ENTRY_SNAPSHOT = frozenset({"document_sha256"})
# Rows that are recorded in the log from the moment they exist (the log came with them).
ALWAYS_RECORDED: tuple[tuple[str, Any], ...] = (
    ("register_entry", RegisterEntry),
    ("transfer", Transfer),
    ("receipt", Receipt),
)

Problem = Literal["differs", "no_row", "no_leaf", "leaf"]


@dataclass(frozen=True, slots=True)
class Mismatch:
    """One way the database disagrees with the log. A private field's values are kept for
    the caller but never shown."""

    object_type: str
    object_id: str
    field: str
    index: int | None
    problem: Problem = "differs"
    recorded: Any = None
    current: Any = None
    private: bool = False

    def line(self) -> str:
        where = f"{self.object_type} {self.object_id}"
        if self.problem == "leaf":
            return f"leaf {self.index} ({where}): {self.field}"
        if self.problem == "no_row":
            if self.field == "row":
                return f"{where}: leaf {self.index} records it, the database has no such row"
            return f"{where}: leaf {self.index} records its {self.field}, the database has none"
        if self.problem == "no_leaf":
            what = "it" if self.field == "row" else f"its {self.field}"
            return f"{where}: no leaf records {what}"
        if self.private:
            return (
                f"{where}: {self.field} differs from what leaf {self.index} records "
                "(a confidential detail, not shown)"
            )
        return (
            f"{where}: {self.field} is {_shown(self.current)} in the database, "
            f"leaf {self.index} records {_shown(self.recorded)}"
        )


def _shown(value: Any, limit: int = 200) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _json(value: Any) -> Any:
    """``value`` as it reads back from the leaf's canonical JSON."""
    return json.loads(canonical(value))


@dataclass(frozen=True, slots=True)
class RecordedLeaf:
    """A leaf as its JSON says (not as the row's columns do); ``private`` is its details
    without the salt, or None when it has none or they do not match its commitment."""

    index: int
    kind: str
    object_type: str
    object_id: str
    public: dict[str, Any]
    private: dict[str, Any] | None


def read_leaf(
    index: int,
    columns: tuple[str, str, str],
    leaf: bytes,
    details: bytes | None,
) -> tuple[RecordedLeaf | None, list[Mismatch]]:
    """Read a stored leaf: its JSON, its columns (kind, object type and id, by which the
    service finds it) against the JSON, and its stored details against ``details_sha256``."""
    _, object_type, object_id = columns
    try:
        document = json.loads(leaf)
        data, about = document["data"], document["object"]
        recorded = (str(document["kind"]), str(about["type"]), str(about["id"]))
        if not isinstance(data, dict):
            raise TypeError(data)
    except (ValueError, KeyError, TypeError):
        return None, [Mismatch(object_type, object_id, "its JSON cannot be read", index, "leaf")]
    problems = []
    if recorded != columns:
        problems.append(
            Mismatch(
                object_type,
                object_id,
                f"its columns say {' '.join(columns)}, its JSON {' '.join(recorded)}",
                index,
                "leaf",
            )
        )
    commitment = document.get("details_sha256")
    private = None
    if commitment is None:
        if details is not None:
            problems.append(
                Mismatch(
                    object_type, object_id, "it has details but commits to none", index, "leaf"
                )
            )
    elif details is None:
        problems.append(
            Mismatch(object_type, object_id, "the details it commits to are gone", index, "leaf")
        )
    elif hashlib.sha256(details).hexdigest() != commitment:
        problems.append(
            Mismatch(
                object_type,
                object_id,
                "its stored details do not hash to its details_sha256",
                index,
                "leaf",
            )
        )
    else:
        try:
            opened = json.loads(details)
            private = {k: v for k, v in opened.items() if k != "salt"}
        except (ValueError, AttributeError):
            problems.append(
                Mismatch(object_type, object_id, "its details cannot be read", index, "leaf")
            )
    return RecordedLeaf(index, *recorded, public=data, private=private), problems


def compare(
    leaf: RecordedLeaf,
    current: LeafData,
    *,
    about: tuple[str, str] | None = None,
    skip: frozenset[str] = frozenset(),
) -> list[Mismatch]:
    """The fields that both ``leaf`` and the rows' ``current`` data have, and that differ.
    A field the leaf does not record (an older leaf, or a private detail it has no valid
    details for) is not compared. ``about`` names the object when it is not the leaf's."""
    object_type, object_id = about or (leaf.object_type, leaf.object_id)
    found = []
    sides = ((leaf.public, current.public, False), (leaf.private, current.private, True))
    for recorded, now, private in sides:
        if recorded is None:
            continue
        for key in sorted((recorded.keys() & now.keys()) - skip):
            if _json(recorded[key]) != _json(now[key]):
                found.append(
                    Mismatch(
                        object_type,
                        object_id,
                        key,
                        leaf.index,
                        recorded=recorded[key],
                        current=now[key],
                        private=private,
                    )
                )
    return found


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _last(leaves: Sequence[RecordedLeaf], kind: str) -> RecordedLeaf | None:
    return next((leaf for leaf in reversed(leaves) if leaf.kind == kind), None)


def _uuids(ids: Iterable[str]) -> list[uuid.UUID]:
    found = []
    for ident in ids:
        try:
            found.append(uuid.UUID(ident))
        except ValueError:
            continue  # no row has it: reported as missing
    return found


Group = tuple[str, list[RecordedLeaf]]
Versions = dict[str, dict[int, DocumentVersion]]


class Checker:
    """Reads every leaf, grouped by the object its columns name, and each batch of objects'
    rows; collects the mismatches."""

    def __init__(self, db: Session) -> None:
        self.db = db
        self.mismatches: list[Mismatch] = []
        self.objects = 0
        self.codes = {d.id: d.code for d in db.scalars(select(Department))}
        self.usernames = {u.id: u.username for u in db.execute(select(User.id, User.username))}
        self.recorded: dict[str, set[str]] = {name: set() for name, _ in ALWAYS_RECORDED}
        # For a transfer's status: its receipt's latest leaf (index, kind), and its row's
        # status with its own leaf's index.
        self.receipts: dict[str, tuple[int, Any]] = {}
        self.statuses: dict[str, tuple[str, int]] = {}

    def run(self) -> list[Mismatch]:
        rows = self.db.execute(
            select(
                LogLeaf.idx,
                LogLeaf.kind,
                LogLeaf.object_type,
                LogLeaf.object_id,
                LogLeaf.leaf,
                LogLeaf.details,
            )
            .order_by(LogLeaf.object_type, LogLeaf.object_id, LogLeaf.idx)
            .execution_options(yield_per=2_000)
        )
        batch: list[Group] = []
        batch_type = ""
        for (object_type, object_id), group in groupby(rows, key=lambda r: (r[2], r[3])):
            leaves = []
            for index, kind, _, _, leaf, details in group:
                columns = (str(kind), str(object_type), str(object_id))
                read, problems = read_leaf(
                    int(index), columns, bytes(leaf), None if details is None else bytes(details)
                )
                self.mismatches.extend(problems)
                # A leaf whose JSON names another object than its columns is reported above.
                if read is not None and (read.object_type, read.object_id) == columns[1:]:
                    leaves.append(read)
            if not leaves:
                continue
            if batch and (object_type != batch_type or len(batch) >= BATCH):
                self._check(batch_type, batch)
                batch = []
            batch_type = str(object_type)
            batch.append((str(object_id), leaves))
        if batch:
            self._check(batch_type, batch)
        self._check_statuses()
        self._check_unrecorded()
        return self.mismatches

    def _user(self, user_id: uuid.UUID | None) -> str | None:
        return self.usernames.get(user_id) if user_id is not None else None

    def _code(self, department_id: uuid.UUID) -> str:
        return self.codes.get(department_id, "")

    def _check(self, object_type: str, batch: list[Group]) -> None:
        self.objects += len(batch)
        if object_type in self.recorded:
            self.recorded[object_type].update(object_id for object_id, _ in batch)
        check = {
            "register_entry": self._entries,
            "transfer": self._transfers,
            "receipt": self._receipts,
            "document": self._documents,
            "dossier": self._dossiers,
        }.get(object_type)
        if check is not None:
            check(batch)

    def _no_row(
        self, object_type: str, object_id: str, leaf: RecordedLeaf, field: str = "row"
    ) -> None:
        self.mismatches.append(Mismatch(object_type, object_id, field, leaf.index, "no_row"))

    def _entries(self, batch: list[Group]) -> None:
        ids = _uuids(object_id for object_id, _ in batch)
        rows = {
            str(r.id): r
            for r in self.db.scalars(select(RegisterEntry).where(RegisterEntry.id.in_(ids)))
        }
        for object_id, leaves in batch:
            row = rows.get(object_id)
            if row is None:
                self._no_row("register_entry", object_id, leaves[-1])
                continue
            entry = _last(leaves, "register.entry")
            if entry is not None:
                by = self._user(row.registered_by) or ""
                current = entry_leaf(row, self._code(row.department_id), by, None)
                self.mismatches += compare(entry, current, skip=ENTRY_SNAPSHOT)
            annul = _last(leaves, "register.annul")
            annulled = row.annulled_at is not None
            if annul is not None and annulled:
                current = annulment_leaf(row, self._user(row.annulled_by) or "")
                self.mismatches += compare(annul, current)
            elif (annul is not None) != annulled:
                self.mismatches.append(
                    Mismatch(
                        "register_entry",
                        object_id,
                        "annulled",
                        (annul or entry or leaves[-1]).index,
                        recorded=annul is not None,
                        current=annulled,
                    )
                )

    def _transfers(self, batch: list[Group]) -> None:
        ids = _uuids(object_id for object_id, _ in batch)
        rows = {str(r.id): r for r in self.db.scalars(select(Transfer).where(Transfer.id.in_(ids)))}
        for object_id, leaves in batch:
            row = rows.get(object_id)
            if row is None:
                self._no_row("transfer", object_id, leaves[-1])
                continue
            leaf = _last(leaves, "transfer")
            if leaf is None:
                continue
            current = transfer_leaf(
                row,
                self._code(row.from_department_id),
                self._code(row.to_department_id),
                self._user(row.from_user_id) or "",
            )
            self.mismatches += compare(leaf, current)
            self.statuses[object_id] = (row.status, leaf.index)

    def _receipts(self, batch: list[Group]) -> None:
        ids = _uuids(object_id for object_id, _ in batch)
        rows = {str(r.id): r for r in self.db.scalars(select(Receipt).where(Receipt.id.in_(ids)))}
        transfer_ids = {r.transfer_id for r in rows.values()}
        transfers = {
            t.id: t for t in self.db.scalars(select(Transfer).where(Transfer.id.in_(transfer_ids)))
        }
        for object_id, leaves in batch:
            leaf = _last(leaves, "receipt")
            if leaf is not None:
                transfer_id = str(leaf.public.get("transfer_id"))
                latest = self.receipts.get(transfer_id)
                if latest is None or latest[0] < leaf.index:
                    self.receipts[transfer_id] = (leaf.index, leaf.public.get("kind"))
            row = rows.get(object_id)
            if row is None:
                self._no_row("receipt", object_id, leaves[-1])
                continue
            transfer = transfers.get(row.transfer_id)
            if leaf is None or transfer is None:
                continue  # a transfer gone is reported with the transfer's own leaf
            current = receipt_leaf(
                row, transfer, self._code(row.department_id), self._user(row.user_id) or ""
            )
            self.mismatches += compare(leaf, current)

    def _check_statuses(self) -> None:
        """A transfer is sent until its receipt's leaf says acknowledged or returned."""
        for object_id, (status, index) in self.statuses.items():
            recorded_index, kind = self.receipts.get(object_id, (index, TransferStatus.sent.value))
            if status != kind:
                self.mismatches.append(
                    Mismatch(
                        "transfer",
                        object_id,
                        "status",
                        recorded_index,
                        recorded=kind,
                        current=status,
                    )
                )

    def _versions(self, document_ids: Iterable[uuid.UUID]) -> Versions:
        """Each document's versions by number."""
        found: Versions = {}
        query = select(DocumentVersion).where(DocumentVersion.document_id.in_(set(document_ids)))
        for version in self.db.scalars(query):
            found.setdefault(str(version.document_id), {})[version.number] = version
        return found

    def _documents(self, batch: list[Group]) -> None:
        ids = _uuids(object_id for object_id, _ in batch)
        rows = {str(r.id): r for r in self.db.scalars(select(Document).where(Document.id.in_(ids)))}
        versions = self._versions(ids)
        signature_ids = _uuids(
            str(leaf.public.get("signature_id"))
            for _, leaves in batch
            for leaf in leaves
            if leaf.kind == "document.signature"
        )
        signatures = {
            str(s.id): s
            for s in self.db.scalars(
                select(SignatureRecord).where(SignatureRecord.id.in_(signature_ids))
            )
        }
        for object_id, leaves in batch:
            row = rows.get(object_id)
            if row is None:
                self._no_row("document", object_id, leaves[-1])
                continue
            self._document(row, leaves, versions.get(object_id, {}), signatures)

    def _document(
        self,
        row: Document,
        leaves: list[RecordedLeaf],
        versions: dict[int, DocumentVersion],
        signatures: dict[str, SignatureRecord],
    ) -> None:
        object_id = str(row.id)
        # Each version, and the latest version's number: every version is recorded, by its
        # own leaf or (a dossier's signed index) by its signature's.
        numbered: dict[int, RecordedLeaf] = {}
        version_leaves = [leaf for leaf in leaves if leaf.kind == "document.version"]
        for leaf in version_leaves:
            number = leaf.public.get("version")
            version = versions.get(number) if _is_int(number) else None
            if version is None:
                self._no_row("document", object_id, leaf, f"version {number}")
                continue
            numbered[version.number] = leaf
            by = self._user(version.author_id) if version.author_id else SERVICE_AUTHOR
            current = version_leaf(row, version, by or "")
            latest = leaf is version_leaves[-1]
            for found in compare(leaf, current, skip=frozenset() if latest else DOCUMENT_FIELDS):
                if found.field not in DOCUMENT_FIELDS:
                    found = dataclasses.replace(found, field=f"{found.field} of version {number}")
                self.mismatches.append(found)
        for leaf in leaves:
            if leaf.kind != "document.signature":
                continue
            signature_id = str(leaf.public.get("signature_id"))
            signature = signatures.get(signature_id)
            if signature is None:
                self._no_row("signature", signature_id, leaf)
                continue
            number = leaf.public.get("version")
            if _is_int(number):
                numbered.setdefault(number, leaf)
            current = signature_leaf(signature, self._user(signature.signer_id) or "")
            self.mismatches += compare(leaf, current, about=("signature", signature_id))
            if signature.document_id != row.id:
                self.mismatches.append(
                    Mismatch(
                        "signature",
                        signature_id,
                        "document_id",
                        leaf.index,
                        recorded=object_id,
                        current=str(signature.document_id),
                    )
                )
        if not numbered:
            return
        highest = max(numbered)
        if row.latest_version != highest:
            self.mismatches.append(
                Mismatch(
                    "document",
                    object_id,
                    "latest_version",
                    numbered[highest].index,
                    recorded=highest,
                    current=row.latest_version,
                )
            )
        # Versions from before the log have no leaf; every one since the first it recorded has.
        for number in sorted(versions):
            if number > min(numbered) and number not in numbered:
                self.mismatches.append(
                    Mismatch("document", object_id, f"version {number}", None, "no_leaf")
                )

    def _dossiers(self, batch: list[Group]) -> None:
        ids = _uuids(object_id for object_id, _ in batch)
        rows = {str(r.id): r for r in self.db.scalars(select(Dossier).where(Dossier.id.in_(ids)))}
        items: dict[str, list[DossierItem]] = {}
        for item in self.db.scalars(
            select(DossierItem)
            .where(DossierItem.dossier_id.in_(ids))
            .order_by(DossierItem.position)
        ):
            items.setdefault(str(item.dossier_id), []).append(item)
        document_ids = {item.document_id for found in items.values() for item in found}
        document_ids |= {r.sealed_index_id for r in rows.values() if r.sealed_index_id}
        versions = self._versions(document_ids)
        for object_id, leaves in batch:
            row = rows.get(object_id)
            if row is None:
                self._no_row("dossier", object_id, leaves[-1])
                continue
            self._dossier(row, leaves, items.get(object_id, []), versions)

    def _dossier(
        self,
        row: Dossier,
        leaves: list[RecordedLeaf],
        items: list[DossierItem],
        versions: Versions,
    ) -> None:
        """A closed dossier stays closed, with as many documents as when it was closed; a
        sealed one has the index and the documents, version by version, its last seal
        lists."""
        object_id = str(row.id)

        def differs(field: str, leaf: RecordedLeaf, recorded: Any, current: Any) -> None:
            if _json(recorded) != _json(current):
                self.mismatches.append(
                    Mismatch(
                        "dossier", object_id, field, leaf.index, recorded=recorded, current=current
                    )
                )

        close = _last(leaves, "archive.dossier_close")
        if close is not None:
            differs("status", close, DossierStatus.closed.value, row.status)
            differs("documents", close, close.public.get("documents"), len(items))
        seal = _last(leaves, "archive.dossier_seal")
        if seal is None:
            return
        index_id = str(row.sealed_index_id) if row.sealed_index_id else None
        differs("index_id", seal, seal.public.get("index_id"), index_id)
        number = seal.public.get("index_version")
        index = versions.get(index_id or "", {}).get(number) if _is_int(number) else None
        differs("index_sha256", seal, seal.public.get("index_sha256"), index and index.sha256)
        listed = seal.public.get("documents")
        if not isinstance(listed, list):
            return
        # The seal lists each position's version and its sha256: the document at that
        # position now must have that version, with that hash.
        sealed: dict[int, dict[str, Any]] = {
            e["position"]: e for e in listed if isinstance(e, dict) and _is_int(e.get("position"))
        }
        held = {item.position: item for item in items}
        differs("positions", seal, sorted(sealed), sorted(held))
        for position, entry in sorted(sealed.items()):
            item, number = held.get(position), entry.get("version")
            if item is not None and _is_int(number):
                version = versions.get(str(item.document_id), {}).get(number)
                field = f"sha256 of the document at position {position}"
                differs(field, seal, entry.get("sha256"), version.sha256 if version else None)

    def _check_unrecorded(self) -> None:
        """Entries, transfers and receipts are logged when they are made: one that no leaf
        records was put in the database some other way."""
        for object_type, model in ALWAYS_RECORDED:
            recorded = self.recorded[object_type]
            for (ident,) in self.db.execute(select(model.id)):
                if str(ident) not in recorded:
                    self.mismatches.append(
                        Mismatch(object_type, str(ident), "row", None, "no_leaf")
                    )


def read_one_snapshot(db: Session) -> None:
    """Make the rest of ``db``'s transaction read one state of the database, so that a
    register event committed while the check runs cannot look like a mismatch: call it
    before the first query."""
    dialect = db.get_bind().dialect.name
    if dialect == "postgresql":
        db.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    elif dialect == "sqlite":
        # The sqlite3 module opens no transaction for reads: without one, each SELECT sees
        # the database as it is then.
        db.connection().exec_driver_sql("BEGIN")


def check_metadata(db: Session, findings: Findings) -> None:
    """Each mismatch is one line in ``findings.problems``."""
    checker = Checker(db)
    mismatches = checker.run()
    findings.problems.extend(m.line() for m in mismatches)
    if not mismatches:
        findings.checked.append(
            f"the database's rows for the {checker.objects} objects the leaves record say "
            "what their latest leaves do"
        )
