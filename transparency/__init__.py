"""A transparency log's math and formats, with nothing of the service: RFC 9162 Merkle tree
hashes, tree heads and proofs, JSON leaves in RFC 8785 canonical form, C2SP signed notes and
tlog checkpoints, and the RFC 3161 time-stamp line on a note. Everything an auditor needs to
check a log's leaves, proofs and checkpoints offline, with the log's public key.

It imports no framework and no database, nor pyHanko: it takes and returns bytes, ints and
frozen dataclasses, and signs with a key handed in (``NoteSigner``). Where the tree's hashes
are kept is a ``NodeReader``'s business: ``MemoryTree`` keeps them in memory.

Modules: ``hashing`` (leaf and node hashes), ``trees`` (tree heads, ``MemoryTree``),
``proofs`` (inclusion and consistency), ``leaves`` (canonical JSON), ``notes`` (signed
notes, verifier keys), ``checkpoints`` (checkpoint text), ``timestamps`` (the time-stamp
line).

Exception tree::

    TransparencyError   root of every error raised here (a ValueError)
    ├── ProofError      a proof does not prove what it claims, or asks for a tree that is
    │                   not there
    └── NoteError       a note, checkpoint or verifier key is malformed, or a signature on a
                        note does not verify
"""

from transparency.checkpoints import Checkpoint, sign_checkpoint, verify_checkpoint
from transparency.errors import NoteError, ProofError, TransparencyError
from transparency.hashing import EMPTY_ROOT, HASH_SIZE, leaf_hash, node_hash
from transparency.leaves import canonical, json_leaf_hash
from transparency.notes import (
    ED25519,
    NoteSigner,
    SignedNote,
    VerifierKey,
    check_key_name,
    key_hash,
    sign_note,
    verify_note,
)
from transparency.proofs import (
    consistency_proof,
    inclusion_proof,
    root_from_inclusion,
    verify_consistency,
    verify_inclusion,
)
from transparency.timestamps import TIMESTAMP_SUFFIX, add_timestamp, timestamp_of
from transparency.trees import (
    MemoryTree,
    NodeReader,
    largest_power_of_two_below,
    perfect_subtrees,
    range_hash,
    root,
    root_of_leaf_hashes,
)

__all__ = [
    "ED25519",
    "EMPTY_ROOT",
    "HASH_SIZE",
    "TIMESTAMP_SUFFIX",
    "Checkpoint",
    "MemoryTree",
    "NodeReader",
    "NoteError",
    "NoteSigner",
    "ProofError",
    "SignedNote",
    "TransparencyError",
    "VerifierKey",
    "add_timestamp",
    "canonical",
    "check_key_name",
    "consistency_proof",
    "inclusion_proof",
    "json_leaf_hash",
    "key_hash",
    "largest_power_of_two_below",
    "leaf_hash",
    "node_hash",
    "perfect_subtrees",
    "range_hash",
    "root",
    "root_from_inclusion",
    "root_of_leaf_hashes",
    "sign_checkpoint",
    "sign_note",
    "timestamp_of",
    "verify_checkpoint",
    "verify_consistency",
    "verify_inclusion",
    "verify_note",
]
