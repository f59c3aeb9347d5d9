"""The register's Merkle tree, as RFC 9162 (Certificate Transparency 2.0) section 2.1
defines it: SHA-256, leaves hashed as ``H(0x00 || leaf)``, interior nodes as
``H(0x01 || left || right)``, the tree over ``n`` leaves split at the largest power of two
below ``n``. Pure functions: where the hashes live is a ``NodeReader``'s business.

Any range the RFC's recursion visits starts at a multiple of its largest power-of-two part,
so its hash is a fold of at most log2(n) *perfect* subtrees (2^level leaves, aligned), which
a store can keep and read directly: a proof at any size reads O(log n) stored hashes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Protocol

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """A proof does not prove what it claims, or its request makes no sense."""


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


class NodeReader(Protocol):
    def perfect(self, level: int, index: int) -> bytes:
        """The hash of leaves ``[index * 2**level, (index + 1) * 2**level)``."""
        ...


def largest_power_of_two_below(n: int) -> int:
    """The largest power of two strictly less than ``n`` (n > 1): the RFC's ``k``."""
    return 1 << ((n - 1).bit_length() - 1)


def perfect_subtrees(start: int, end: int) -> list[tuple[int, int]]:
    """``[start, end)`` as perfect subtrees ``(level, index)``, left to right, each the
    largest that is aligned and fits."""
    nodes = []
    while start < end:
        level = (start & -start).bit_length() - 1 if start else (end - start).bit_length() - 1
        while start + (1 << level) > end:
            level -= 1
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


def range_hash(reader: NodeReader, start: int, end: int) -> bytes:
    """MTH of leaves ``[start, end)``, a range of the RFC's recursion (or the whole tree)."""
    if start >= end:
        if start == end == 0:
            return EMPTY_ROOT
        raise ProofError(f"empty range {start}..{end}")
    hashes = [reader.perfect(level, index) for level, index in perfect_subtrees(start, end)]
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


def root(reader: NodeReader, size: int) -> bytes:
    return range_hash(reader, 0, size)


def inclusion_proof(reader: NodeReader, index: int, size: int) -> list[bytes]:
    """PATH(index, D[size]) of RFC 9162 section 2.1.3.1, deepest sibling first."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size}")
    collected = []
    start, end = 0, size
    while end - start > 1:
        k = largest_power_of_two_below(end - start)
        if index < start + k:
            collected.append(range_hash(reader, start + k, end))
            end = start + k
        else:
            collected.append(range_hash(reader, start, start + k))
            start += k
    return collected[::-1]


def consistency_proof(reader: NodeReader, first: int, second: int) -> list[bytes]:
    """PROOF(first, D[second]) of RFC 9162 section 2.1.4.1."""
    if not 0 <= first <= second:
        raise ProofError(f"no consistency proof from {first} to {second}")
    if first in (0, second):
        return []
    collected = []
    start, end, m, whole = 0, second, first, True
    while True:
        if m == end - start:
            if not whole:
                collected.append(range_hash(reader, start, end))
            break
        k = largest_power_of_two_below(end - start)
        if m <= k:
            collected.append(range_hash(reader, start + k, end))
            end = start + k
        else:
            collected.append(range_hash(reader, start, start + k))
            start, m, whole = start + k, m - k, False
    return collected[::-1]


def _check_hashes(*hashes: bytes) -> None:
    if any(len(h) != HASH_SIZE for h in hashes):
        raise ProofError("a hash is not 32 bytes")


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root that an inclusion proof leads to (RFC 9162 section 2.1.3.2)."""
    _check_hashes(leaf, *proof)
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size}")
    fn, sn, result = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            raise ProofError("the inclusion proof is too long")
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            result = node_hash(result, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the inclusion proof is too short")
    return result


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], expected_root: bytes
) -> None:
    """Raise ``ProofError`` unless ``leaf`` is leaf ``index`` of the tree of ``size``
    whose root is ``expected_root``."""
    _check_hashes(expected_root)
    if root_from_inclusion(index, size, leaf, proof) != expected_root:
        raise ProofError("the inclusion proof leads to another root")


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> None:
    """Raise ``ProofError`` unless the tree of ``second`` leaves with ``second_root``
    extends the tree of ``first`` leaves with ``first_root`` (RFC 9162 section 2.1.4.2)."""
    _check_hashes(first_root, second_root, *proof)
    if not 0 <= first <= second:
        raise ProofError(f"a tree of {second} cannot extend one of {first}")
    if first == second:
        if proof or first_root != second_root:
            raise ProofError("equal sizes need equal roots and an empty proof")
        return
    if first == 0:
        if proof:
            raise ProofError("any tree extends the empty tree, with an empty proof")
        return
    if not proof:
        raise ProofError("the consistency proof is empty")
    path = list(proof)
    if first & (first - 1) == 0:  # an exact power of two: its root is a node of both
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for node in path[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(node, fr)
            sr = node_hash(node, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, node)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the consistency proof is too short")
    if fr != first_root or sr != second_root:
        raise ProofError("the consistency proof does not join the two roots")


class MemoryTree:
    """Leaf hashes in a list and every perfect subtree's hash as it completes: for tests,
    the offline verifier, and as the reference for a stored tree."""

    def __init__(self) -> None:
        self.levels: list[list[bytes]] = [[]]

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def append(self, leaf: bytes) -> int:
        """Add a leaf's hash; returns its index."""
        index = self.size
        self.levels[0].append(leaf)
        level, position = 0, index
        while position & 1:  # a right child completes its parent
            parent = node_hash(self.levels[level][position - 1], self.levels[level][position])
            level, position = level + 1, position >> 1
            if len(self.levels) == level:
                self.levels.append([])
            self.levels[level].append(parent)
        return index

    def perfect(self, level: int, index: int) -> bytes:
        try:
            return self.levels[level][index]
        except IndexError:
            raise ProofError(f"no complete subtree ({level}, {index}) yet") from None
