"""The hashes of RFC 9162 (Certificate Transparency 2.0) section 2.1: SHA-256, leaves hashed
as ``H(0x00 || leaf)``, interior nodes as ``H(0x01 || left || right)``, the empty tree as
``H()``. The prefixes keep a leaf from passing for a node."""

from __future__ import annotations

import hashlib

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()
