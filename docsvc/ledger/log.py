"""The register's transparency log, kept in the database: every register event is a leaf,
appended when the transaction of the event itself commits (a rolled-back event leaves no
leaf, and indexes have no gaps), with the hash of every perfect subtree stored as it
completes. The tree's math (RFC 9162) and the leaves' encoding (RFC 8785) are the
``transparency`` library's; this module keeps the hashes and reads them back.

A proof needs O(log n) of those hashes: they are found first (a dry run of the proof over
placeholder hashes) and read in one query, so a proof at a million leaves is one round
trip to the database.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import TextClause, insert, select, text, update
from sqlalchemy import event as sa_event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from docsvc.db.base import utcnow
from docsvc.models.register import LogLeaf, LogNode, LogState
from transparency import (
    HASH_SIZE,
    NodeReader,
    ProofError,
    canonical,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    perfect_subtrees,
    root,
)

LEAF_VERSION = 1
_QUERY_NODES = 64  # nodes per query; a proof at 2**62 leaves needs fewer than 130
_STATE_ID = 1
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class LogEvent:
    """What a leaf records. ``public`` is in the leaf as it is; ``private`` (names, subjects,
    reasons: whatever may be confidential) only as the sha256 of its canonical JSON with a
    random salt, so that the leaf can be published and the details shown only after login."""

    kind: str
    object_type: str
    object_id: str
    public: Mapping[str, Any]
    private: Mapping[str, Any] | None = None
    time: datetime = field(default_factory=utcnow)


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def leaf_document(event: LogEvent) -> tuple[bytes, bytes | None]:
    """The leaf's canonical JSON, and the salted details it commits to (or None)."""
    details = None
    document: dict[str, Any] = {
        "v": LEAF_VERSION,
        "kind": event.kind,
        "time": _timestamp(event.time),
        "object": {"type": event.object_type, "id": event.object_id},
        "data": dict(event.public),
    }
    if event.private is not None:
        details = canonical({"salt": secrets.token_hex(16), **event.private})
        document["details_sha256"] = hashlib.sha256(details).hexdigest()
    return canonical(document), details


_PENDING = "docsvc.register.pending_leaves"


def record(db: Session, event: LogEvent) -> None:
    """Add ``event`` as a leaf when this transaction commits (and never, if it rolls back).

    Leaves are appended as the transaction's last step, so that the log's single write
    lock is held only while committing and always taken after every other lock: two
    transactions cannot each hold what the other waits for."""
    db.info.setdefault(_PENDING, []).append(event)


@sa_event.listens_for(Session, "before_commit")
def _append_pending(db: Session) -> None:
    pending = db.info.pop(_PENDING, None)
    if pending:
        append(db, pending)


@sa_event.listens_for(Session, "after_rollback")
def _forget_pending(db: Session) -> None:
    db.info.pop(_PENDING, None)


def log_size(db: Session) -> int:
    return int(db.scalar(select(LogState.size).where(LogState.id == _STATE_ID)) or 0)


def _reserve(db: Session, count: int) -> int:
    """Take ``count`` indexes; returns the first. Holds the log's write lock until commit."""
    grow = (
        update(LogState)
        .where(LogState.id == _STATE_ID)
        .values(size=LogState.size + count)
        .returning(LogState.size)
    )
    new_size = db.execute(grow).scalar_one_or_none()
    if new_size is None:
        try:
            with db.begin_nested():
                db.add(LogState(id=_STATE_ID, size=0))
        except IntegrityError:
            pass
        new_size = db.execute(grow).scalar_one()
    return int(new_size) - count


def append(db: Session, events: Sequence[LogEvent]) -> list[int]:
    """Append the events as leaves, in order; returns their indexes."""
    if not events:
        return []
    start = _reserve(db, len(events))
    # The right edge of the tree so far: its perfect subtrees, largest first. A new leaf at
    # an odd position completes its parent with the edge's last subtree, and so on up.
    edge_keys = perfect_subtrees(0, start)
    stored = _read_nodes(db, edge_keys)
    edge = [(level, stored[(level, index)]) for level, index in edge_keys]
    leaves: list[dict[str, Any]] = []
    nodes: list[dict[str, Any]] = []
    for offset, event in enumerate(events):
        index = start + offset
        leaf, details = leaf_document(event)
        current = leaf_hash(leaf)
        leaves.append(
            {
                "idx": index,
                "leaf_hash": current,
                "kind": event.kind,
                "object_type": event.object_type,
                "object_id": event.object_id,
                "leaf": leaf,
                "details": details,
                "created_at": event.time,
            }
        )
        nodes.append({"level": 0, "idx": index, "hash": current})
        level, position = 0, index
        while position & 1:
            left_level, left = edge.pop()
            assert left_level == level, "the log's right edge is inconsistent"
            current = node_hash(left, current)
            level, position = level + 1, position >> 1
            nodes.append({"level": level, "idx": position, "hash": current})
        edge.append((level, current))
    db.execute(insert(LogLeaf), leaves)
    db.execute(insert(LogNode), nodes)
    return [start + offset for offset in range(len(events))]


@functools.cache
def _nodes_query(count: int) -> TextClause:
    """``count`` nodes by key, one equality pair each, OR-ed: both databases answer each
    pair from the primary key (SQLite scans the whole table for a row-value IN). A text
    statement per count, built once: building it as an expression cost more than the
    query itself."""
    pairs = " OR ".join(f"(level = :l{i} AND idx = :i{i})" for i in range(count))
    return text(f"SELECT level, idx, hash FROM register_log_nodes WHERE {pairs}")  # noqa: S608


def _read_nodes(db: Session, keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    wanted = sorted(set(keys))
    found: dict[tuple[int, int], bytes] = {}
    for chunk in range(0, len(wanted), _QUERY_NODES):
        part = wanted[chunk : chunk + _QUERY_NODES]
        # Padded to a few statement sizes, so that each is prepared once.
        count = 1 << max(0, (len(part) - 1).bit_length())
        params: dict[str, int] = {}
        for i in range(count):
            level, idx = part[i] if i < len(part) else (-1, -1)
            params[f"l{i}"], params[f"i{i}"] = level, idx
        rows = db.execute(_nodes_query(count), params)
        found.update({(int(level), int(idx)): bytes(value) for level, idx, value in rows})
    missing = set(wanted) - found.keys()
    if missing:
        raise ProofError(
            f"the register's log has {log_size(db)} leaves: the tree asked for is not there"
        )
    return found


class _Recorder:
    """Answers any node with a placeholder and notes which were asked for."""

    def __init__(self) -> None:
        self.keys: set[tuple[int, int]] = set()

    def perfect(self, level: int, index: int) -> bytes:
        self.keys.add((level, index))
        return bytes(HASH_SIZE)


class _Nodes:
    def __init__(self, nodes: Mapping[tuple[int, int], bytes]) -> None:
        self._nodes = nodes

    def perfect(self, level: int, index: int) -> bytes:
        return self._nodes[(level, index)]


@dataclass(frozen=True, slots=True)
class ReadStats:
    """How many stored hashes the last computation read (the O(log n) evidence)."""

    hashes: int


def with_stored_nodes(db: Session, compute: Callable[[NodeReader], T]) -> tuple[T, ReadStats]:
    recorder = _Recorder()
    compute(recorder)
    nodes = _read_nodes(db, recorder.keys)
    return compute(_Nodes(nodes)), ReadStats(len(nodes))


# A tree that the stored nodes cover exists: its size is at most the log's (a larger one
# needs nodes that are not there, and reading them says so). No size query is needed.


def root_at(db: Session, size: int) -> bytes:
    return with_stored_nodes(db, lambda r: root(r, size))[0]


def inclusion(db: Session, index: int, size: int) -> tuple[bytes, list[bytes], ReadStats]:
    """Leaf ``index``'s hash and its inclusion proof in the tree of ``size`` leaves."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size}")

    def compute(reader: NodeReader) -> tuple[bytes, list[bytes]]:
        # The leaf's own hash is the level-0 node, and the tree's last leaf must exist (or
        # ``size`` is too large): both read with the proof's nodes, in one query.
        reader.perfect(0, size - 1)
        return reader.perfect(0, index), inclusion_proof(reader, index, size)

    (leaf, proof), stats = with_stored_nodes(db, compute)
    return leaf, proof, stats


def consistency(db: Session, first: int, second: int) -> tuple[list[bytes], ReadStats]:
    def compute(reader: NodeReader) -> list[bytes]:
        if second > 0:
            reader.perfect(0, second - 1)  # the larger tree exists
        return consistency_proof(reader, first, second)

    return with_stored_nodes(db, compute)


def leaf(db: Session, index: int) -> LogLeaf | None:
    return db.get(LogLeaf, index)


def leaves_of(db: Session, object_type: str, object_id: str) -> list[LogLeaf]:
    return list(
        db.scalars(
            select(LogLeaf)
            .where(LogLeaf.object_type == object_type, LogLeaf.object_id == object_id)
            .order_by(LogLeaf.idx)
        )
    )


def stored_leaves(db: Session, size: int) -> Iterator[tuple[int, bytes, bytes]]:
    """``(index, leaf JSON, stored leaf hash)`` of the leaves below ``size``, by index,
    streamed: what an auditor rehashes against a checkpoint."""
    rows = db.execute(
        select(LogLeaf.idx, LogLeaf.leaf, LogLeaf.leaf_hash)
        .where(LogLeaf.idx < size)
        .order_by(LogLeaf.idx)
        .execution_options(yield_per=10_000)
    )
    for index, leaf, stored_hash in rows:
        yield int(index), bytes(leaf), bytes(stored_hash)
