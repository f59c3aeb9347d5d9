"""The auditor's offline checks of the register: a checkpoint's signature and time-stamp,
inclusion and consistency proofs against checkpoints, and a checkpoint against the leaves
in the database (rehashed from their JSON: a row changed or removed shows).

The checks use only ``transparency`` (tree, proofs, notes) and ``signing`` (the RFC 3161
time-stamp); the leaves to rehash are handed in (``log.stored_leaves`` reads them)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from signing import SigningError
from signing.timestamps import check_timestamp_token
from transparency import (
    Checkpoint,
    MemoryTree,
    NoteError,
    ProofError,
    SignedNote,
    VerifierKey,
    json_leaf_hash,
    leaf_hash,
    root,
    timestamp_of,
    verify_consistency,
    verify_inclusion,
    verify_note,
)


class AuditError(ValueError):
    """Input that cannot be read as what it should be (exit status 2)."""


@dataclass
class Findings:
    checked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True, slots=True)
class OpenedCheckpoint:
    checkpoint: Checkpoint
    note: SignedNote
    timestamp: datetime | None


def open_checkpoint(
    text: str, key: VerifierKey, trust_roots: Sequence[bytes], findings: Findings
) -> OpenedCheckpoint:
    """Parse and check one checkpoint: the seal key's signature, and the time-stamp line
    if there is one (it must chain to a trust root)."""
    try:
        note = SignedNote.parse(text)
        checkpoint = Checkpoint.parse_text(note.text)
    except NoteError as exc:
        raise AuditError(f"not a checkpoint: {exc}") from exc
    try:
        verify_note(note, key)
        findings.checked.append(
            f"checkpoint {checkpoint.origin} size {checkpoint.size}: signed by {key.name}"
        )
    except NoteError as exc:
        findings.problems.append(f"checkpoint size {checkpoint.size}: {exc}")
    if checkpoint.origin != key.name:
        findings.problems.append(
            f"the checkpoint is of {checkpoint.origin}, the key is {key.name}'s"
        )
    when = None
    token = timestamp_of(note, checkpoint.origin)
    if token is None:
        findings.checked.append(f"checkpoint size {checkpoint.size}: no time-stamp")
    else:
        try:
            check = check_timestamp_token(token, note.text, trust_roots)
        except SigningError as exc:
            findings.problems.append(f"checkpoint size {checkpoint.size}: {exc}")
        else:
            if not check.intact:
                findings.problems.append(
                    f"checkpoint size {checkpoint.size}: the time-stamp is not over this text"
                )
            elif not check.trusted:
                findings.problems.append(
                    f"checkpoint size {checkpoint.size}: the time-stamp's TSA ({check.tsa}) "
                    "is not trusted"
                )
            else:
                when = check.time
                findings.checked.append(
                    f"checkpoint size {checkpoint.size}: time-stamped {check.time.isoformat()} "
                    f"by {check.tsa}"
                )
    return OpenedCheckpoint(checkpoint, note, when)


def _hashes(values: Any, what: str) -> list[bytes]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise AuditError(f"{what} is not a list of hex hashes")
    try:
        return [bytes.fromhex(v) for v in values]
    except ValueError as exc:
        raise AuditError(f"{what} holds something that is not hex") from exc


def check_inclusion(checkpoint: Checkpoint, proof: dict[str, Any], findings: Findings) -> None:
    """An inclusion proof as ``GET /api/v1/register/proof/inclusion`` gives it, for the
    checkpoint's size."""
    try:
        index, size = int(proof["index"]), int(proof["size"])
        leaf = bytes.fromhex(proof["leaf_hash"])
    except (KeyError, TypeError, ValueError) as exc:
        raise AuditError("an inclusion proof has index, size, leaf_hash and proof") from exc
    path = _hashes(proof.get("proof"), "the inclusion proof")
    if size != checkpoint.size:
        findings.problems.append(
            f"the inclusion proof is for size {size}, the checkpoint's is {checkpoint.size}"
        )
        return
    try:
        verify_inclusion(index, size, leaf, path, checkpoint.root)
        findings.checked.append(f"leaf {index} is in the checkpoint of size {size}")
    except ProofError as exc:
        findings.problems.append(f"leaf {index}: {exc}")


def check_leaf(leaf_document: dict[str, Any], proof: dict[str, Any], findings: Findings) -> None:
    """A leaf as ``GET /api/v1/register/leaves/{index}`` gives it: its canonical JSON hashes
    to the leaf hash that the inclusion proof proves."""
    try:
        computed = json_leaf_hash(leaf_document["leaf"]).hex()
    except (KeyError, TypeError, ValueError) as exc:
        raise AuditError("a leaf file has the leaf's JSON under 'leaf'") from exc
    if computed != proof.get("leaf_hash") or leaf_document.get("index") != proof.get("index"):
        findings.problems.append("the leaf's JSON does not hash to the proven leaf")
    else:
        findings.checked.append(f"leaf {proof['index']}'s JSON hashes to the proven leaf")


def check_consistency(
    older: Checkpoint, newer: Checkpoint, proof: dict[str, Any], findings: Findings
) -> None:
    try:
        first, second = int(proof["from"]), int(proof["to"])
    except (KeyError, TypeError, ValueError) as exc:
        raise AuditError("a consistency proof has from, to and proof") from exc
    path = _hashes(proof.get("proof"), "the consistency proof")
    if (first, second) != (older.size, newer.size):
        findings.problems.append(
            f"the consistency proof is from {first} to {second}, the checkpoints are "
            f"{older.size} and {newer.size}"
        )
        return
    try:
        verify_consistency(first, second, older.root, newer.root, path)
        findings.checked.append(f"the log of size {second} extends the log of size {first}")
    except ProofError as exc:
        findings.problems.append(f"consistency {first} -> {second}: {exc}")


def check_database(
    rows: Iterable[tuple[int, bytes, bytes]], checkpoint: Checkpoint, findings: Findings
) -> None:
    """Rehash every leaf's JSON up to the checkpoint's size and compare the root: a leaf
    changed, removed or added in place shows as a different root or a gap. ``rows`` are
    ``(index, leaf JSON, stored leaf hash)`` by index, below the checkpoint's size, as
    ``log.stored_leaves`` reads them from the database."""
    tree = MemoryTree()
    expected = 0
    mismatched = []
    for index, leaf, stored_hash in rows:
        if index != expected:
            findings.problems.append(f"leaf {expected} is missing from the database")
            return
        computed = leaf_hash(leaf)
        if computed != stored_hash:
            mismatched.append(index)
        tree.append(computed)
        expected += 1
    if expected != checkpoint.size:
        findings.problems.append(
            f"leaf {expected} is missing from the database, which holds {expected} leaves, "
            f"fewer than the checkpoint's {checkpoint.size}"
        )
        return
    if mismatched:
        findings.problems.append(
            f"{len(mismatched)} leaves' JSON does not match their stored hash "
            f"(first: {mismatched[0]})"
        )
    if root(tree, checkpoint.size) != checkpoint.root:
        findings.problems.append(
            f"the database's leaves do not give the checkpoint's root at size {checkpoint.size}"
        )
    else:
        findings.checked.append(
            f"the database's {checkpoint.size} leaves give the checkpoint's root"
        )


def load_json(text: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise AuditError(f"{what} is not JSON") from exc
    if not isinstance(value, dict):
        raise AuditError(f"{what} is not a JSON object")
    return value
