"""``transparency``'s tree heads and proofs against RFC 9162 section 2.1 written out as its
recursive definitions (MTH, PATH, PROOF/SUBPROOF), exhaustively for every tree of 1 to 64
leaves, and with Hypothesis for larger ones: every proof verifies, no tampered one does,
and each reads O(log n) stored hashes."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transparency import (
    EMPTY_ROOT,
    HASH_SIZE,
    MemoryTree,
    ProofError,
    TransparencyError,
    consistency_proof,
    inclusion_proof,
    largest_power_of_two_below,
    leaf_hash,
    node_hash,
    perfect_subtrees,
    range_hash,
    root,
    root_from_inclusion,
    root_of_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)

SIZES = range(1, 65)
LEAVES = [f"leaf {i}".encode() for i in range(64)]
HASHES = [leaf_hash(leaf) for leaf in LEAVES]
TREE = MemoryTree(HASHES)


# RFC 9162 section 2.1, as written there.


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(leaves: list[bytes]) -> bytes:
    """MTH(D[n]), section 2.1.1."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = _k(len(leaves))
    return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()


def path(m: int, leaves: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]), section 2.1.3.1."""
    if len(leaves) == 1:
        return []
    k = _k(len(leaves))
    if m < k:
        return [*path(m, leaves[:k]), mth(leaves[k:])]
    return [*path(m - k, leaves[k:]), mth(leaves[:k])]


def subproof(m: int, leaves: list[bytes], whole: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b), section 2.1.4.1."""
    n = len(leaves)
    if m == n:
        return [] if whole else [mth(leaves)]
    k = _k(n)
    if m <= k:
        return [*subproof(m, leaves[:k], whole), mth(leaves[k:])]
    return [*subproof(m - k, leaves[k:], False), mth(leaves[:k])]


def _tampered(proof: list[bytes]) -> list[list[bytes]]:
    """Proofs one change away: longer, shorter, reordered, one bit flipped."""
    bad = [[*proof, bytes(HASH_SIZE)], [bytes(HASH_SIZE), *proof]]
    if proof:
        bad.append(proof[:-1])
        bad.append(proof[1:])
    if len(proof) > 1 and proof[0] != proof[1]:
        bad.append([proof[1], proof[0], *proof[2:]])
    for i, node in enumerate(proof):
        flipped = bytearray(node)
        flipped[i % HASH_SIZE] ^= 1
        bad.append([*proof[:i], bytes(flipped), *proof[i + 1 :]])
    return bad


class CountingReader:
    def __init__(self, tree: MemoryTree) -> None:
        self.tree = tree
        self.read: set[tuple[int, int]] = set()

    def perfect(self, level: int, index: int) -> bytes:
        self.read.add((level, index))
        return self.tree.perfect(level, index)


def test_the_hashes_are_the_rfcs() -> None:
    assert hashlib.sha256(b"").digest() == EMPTY_ROOT
    assert leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert (
        node_hash(b"a" * 32, b"b" * 32) == hashlib.sha256(b"\x01" + b"a" * 32 + b"b" * 32).digest()
    )
    assert leaf_hash(b"\x01" + b"a" * 64) != node_hash(b"a" * 32, b"a" * 32)  # no second preimage


@pytest.mark.parametrize("n", range(2, 200))
def test_k_is_the_largest_power_of_two_below_n(n: int) -> None:
    assert largest_power_of_two_below(n) == _k(n)


@pytest.mark.parametrize("size", [0, *SIZES])
def test_tree_heads_from_stored_subtrees_and_from_leaves_are_the_rfcs(size: int) -> None:
    expected = mth(LEAVES[:size])
    assert root(TREE, size) == expected
    assert root_of_leaf_hashes(HASHES[:size]) == expected
    assert MemoryTree(HASHES[:size]).size == size


@pytest.mark.parametrize("size", SIZES)
def test_perfect_subtrees_cover_a_range_with_aligned_perfect_subtrees(size: int) -> None:
    for start in range(size):
        nodes = perfect_subtrees(start, size)
        position = start
        for level, index in nodes:
            assert index << level == position  # aligned and contiguous
            position += 1 << level
        assert position == size
        assert len(nodes) <= 2 * size.bit_length()
        if start % (1 << (size - start - 1).bit_length()) == 0:  # a range the RFC visits
            assert range_hash(TREE, start, size) == mth(LEAVES[start:size])


@pytest.mark.parametrize("size", SIZES)
def test_every_inclusion_proof_is_the_rfcs_path_and_verifies(size: int) -> None:
    head = mth(LEAVES[:size])
    for index in range(size):
        reader = CountingReader(TREE)
        proof = inclusion_proof(reader, index, size)
        assert proof == path(index, LEAVES[:size])
        assert len(reader.read) <= 2 * size.bit_length()
        assert root_from_inclusion(index, size, HASHES[index], proof) == head
        verify_inclusion(index, size, HASHES[index], proof, head)


@pytest.mark.parametrize("size", SIZES)
def test_no_tampered_inclusion_proof_verifies(size: int) -> None:
    head = mth(LEAVES[:size])
    for index in range(size):
        proof = inclusion_proof(TREE, index, size)
        for bad in _tampered(proof):
            with pytest.raises(ProofError):
                verify_inclusion(index, size, HASHES[index], bad, head)
        for other in {index - 1, index + 1, size - 1 - index} - {index}:
            if 0 <= other < size:
                with pytest.raises(ProofError):
                    verify_inclusion(other, size, HASHES[index], proof, head)
                with pytest.raises(ProofError):
                    verify_inclusion(index, size, HASHES[other], proof, head)
        if size > 1:
            with pytest.raises(ProofError):
                verify_inclusion(index, size, HASHES[index], proof, mth(LEAVES[: size - 1]))


@pytest.mark.parametrize("second", SIZES)
def test_every_consistency_proof_is_the_rfcs_and_verifies(second: int) -> None:
    for first in range(second + 1):
        reader = CountingReader(TREE)
        proof = consistency_proof(reader, first, second)
        expected = [] if first == 0 else subproof(first, LEAVES[:second], True)
        assert proof == expected
        assert len(reader.read) <= 2 * second.bit_length()
        verify_consistency(first, second, mth(LEAVES[:first]), mth(LEAVES[:second]), proof)


@pytest.mark.parametrize("second", SIZES)
def test_no_tampered_consistency_proof_verifies(second: int) -> None:
    head = mth(LEAVES[:second])
    for first in range(1, second):
        old = mth(LEAVES[:first])
        proof = consistency_proof(TREE, first, second)
        for bad in _tampered(proof):
            with pytest.raises(ProofError):
                verify_consistency(first, second, old, head, bad)
        with pytest.raises(ProofError):
            verify_consistency(first, second, head, old, proof)  # roots swapped
        with pytest.raises(ProofError):
            verify_consistency(first, second, mth(LEAVES[1 : first + 1]), head, proof)
        other_size = first + 1 if first + 1 < second else first - 1
        if other_size > 0:
            with pytest.raises(ProofError):
                verify_consistency(other_size, second, old, head, proof)


def test_edges_and_refusals() -> None:
    head = mth(LEAVES[:5])
    verify_consistency(0, 5, EMPTY_ROOT, head, [])  # any tree extends the empty one
    verify_consistency(5, 5, head, head, [])
    with pytest.raises(ProofError):
        verify_consistency(5, 5, head, mth(LEAVES[:4]), [])
    with pytest.raises(ProofError):
        verify_consistency(0, 5, EMPTY_ROOT, head, [head])
    with pytest.raises(ProofError):
        verify_consistency(5, 4, head, head, [head])
    with pytest.raises(ProofError):
        inclusion_proof(TREE, 5, 5)
    with pytest.raises(ProofError):
        consistency_proof(TREE, 6, 5)
    with pytest.raises(ProofError):
        verify_inclusion(0, 1, b"short", [], head)
    with pytest.raises(ProofError):
        root(TREE, 65)  # a tree larger than the leaves stored
    assert issubclass(ProofError, TransparencyError) and issubclass(ProofError, ValueError)


def test_the_reference_vectors_of_the_rfc_6962_test_data() -> None:
    # transparency-dev/merkle testonly: the root over the first 8 of their leaves.
    leaves = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243",
              "5051525354555657", "606162636465666768696a6b6c6d6e6f")]  # fmt: skip
    assert root_of_leaf_hashes(map(leaf_hash, leaves)).hex() == (
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
    )


@settings(max_examples=40, deadline=None)
@given(
    leaves=st.lists(st.binary(max_size=6), min_size=65, max_size=300),
    data=st.data(),
)
def test_larger_random_trees(leaves: list[bytes], data: st.DataObject) -> None:
    tree = MemoryTree(map(leaf_hash, leaves))
    second = data.draw(st.integers(1, len(leaves)), label="second")
    first = data.draw(st.integers(1, second), label="first")
    index = data.draw(st.integers(0, second - 1), label="index")
    head = mth(leaves[:second])
    assert root(tree, second) == head
    proof = inclusion_proof(tree, index, second)
    assert proof == path(index, leaves[:second])
    verify_inclusion(index, second, leaf_hash(leaves[index]), proof, head)
    consistency = consistency_proof(tree, first, second)
    verify_consistency(first, second, mth(leaves[:first]), head, consistency)
