"""Inclusion and consistency proofs of RFC 9162 sections 2.1.3 and 2.1.4: made from any
``NodeReader`` (each proof reads O(log n) stored hashes), and verified from the proof alone.
"""

from __future__ import annotations

from collections.abc import Sequence

from transparency.errors import ProofError
from transparency.hashing import HASH_SIZE, node_hash
from transparency.trees import NodeReader, largest_power_of_two_below, range_hash


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
    """The root that an inclusion proof of leaf hash ``leaf`` leads to (RFC 9162 section
    2.1.3.2)."""
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
    """Raise ``ProofError`` unless leaf hash ``leaf`` is leaf ``index`` of the tree of
    ``size`` whose root is ``expected_root``."""
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
