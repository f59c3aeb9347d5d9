"""The register's Merkle tree against the RFC 6962/9162 reference vectors (transparency-dev/
merkle's testonly data), and Hypothesis properties over random trees: every index, every
pair of sizes, tampered proofs refused, and proofs that read O(log n) stored hashes."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transparency import (
    EMPTY_ROOT,
    MemoryTree,
    ProofError,
    consistency_proof,
    inclusion_proof,
    largest_power_of_two_below,
    leaf_hash,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)

LEAVES = [
    bytes.fromhex(h)
    for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
              "606162636465666768696a6b6c6d6e6f")
]  # fmt: skip
ROOTS = [
    bytes.fromhex(h)
    for h in (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    )
]


def _h(*hexes: str) -> list[bytes]:
    return [bytes.fromhex(h) for h in hexes]


# (leaf index, tree size, proof): the vectors count leaves from 1; these from 0.
INCLUSION = [
    (0, 1, []),
    (0, 8, _h(
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    )),
    (5, 8, _h(
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    )),
    (2, 3, _h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")),
    (1, 5, _h(
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    )),
]  # fmt: skip
CONSISTENCY = [
    (1, 1, []),
    (1, 8, _h(
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    )),
    (6, 8, _h(
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    )),
    (2, 5, _h(
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    )),
    (6, 7, _h(
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    )),
]  # fmt: skip


def _tree(leaves: list[bytes]) -> MemoryTree:
    tree = MemoryTree()
    for leaf in leaves:
        tree.append(leaf_hash(leaf))
    return tree


def _mth(leaves: list[bytes]) -> bytes:
    """MTH straight from RFC 9162 section 2.1.1, recursively, as the reference."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaf_hash(leaves[0])
    k = largest_power_of_two_below(len(leaves))
    return node_hash(_mth(leaves[:k]), _mth(leaves[k:]))


def test_roots_match_the_reference_vectors() -> None:
    assert root(MemoryTree(), 0) == EMPTY_ROOT
    tree = _tree(LEAVES)
    for size, expected in enumerate(ROOTS, start=1):
        assert root(tree, size) == expected


@pytest.mark.parametrize(("index", "size", "expected"), INCLUSION)
def test_inclusion_proofs_match_the_reference_vectors(
    index: int, size: int, expected: list[bytes]
) -> None:
    tree = _tree(LEAVES)
    assert inclusion_proof(tree, index, size) == expected
    verify_inclusion(index, size, leaf_hash(LEAVES[index]), expected, ROOTS[size - 1])


@pytest.mark.parametrize(("first", "second", "expected"), CONSISTENCY)
def test_consistency_proofs_match_the_reference_vectors(
    first: int, second: int, expected: list[bytes]
) -> None:
    tree = _tree(LEAVES)
    assert consistency_proof(tree, first, second) == expected
    verify_consistency(first, second, ROOTS[first - 1], ROOTS[second - 1], expected)


def _corrupted(proof: list[bytes]) -> list[list[bytes]]:
    """Every way the reference tests corrupt a proof that should then fail."""
    bad = [[*proof, b"\x00" * 32], [b"\x00" * 32, *proof]]
    if proof:
        bad.append(proof[:-1])
        bad.append([proof[0], *proof])
    for i in range(len(proof)):
        flipped = bytearray(proof[i])
        flipped[0] ^= 8
        bad.append([*proof[:i], bytes(flipped), *proof[i + 1 :]])
    return bad


leaves_strategy = st.lists(st.binary(max_size=8), min_size=1, max_size=70)


@settings(max_examples=60, deadline=None)
@given(leaves=leaves_strategy)
def test_every_inclusion_proof_of_a_random_tree_verifies_and_no_tampered_one_does(
    leaves: list[bytes],
) -> None:
    tree = _tree(leaves)
    for size in {1, len(leaves) // 2 or 1, len(leaves)}:
        expected_root = _mth(leaves[:size])
        assert root(tree, size) == expected_root
        for index in range(size):
            proof = inclusion_proof(tree, index, size)
            leaf = leaf_hash(leaves[index])
            verify_inclusion(index, size, leaf, proof, expected_root)
            for bad in _corrupted(proof):
                with pytest.raises(ProofError):
                    verify_inclusion(index, size, leaf, bad, expected_root)
            for wrong_index in {index - 1, index + 1, index ^ 2} - {index}:
                if 0 <= wrong_index < size and leaves[wrong_index] != leaves[index]:
                    with pytest.raises(ProofError):
                        verify_inclusion(wrong_index, size, leaf, proof, expected_root)


@settings(max_examples=40, deadline=None)
@given(leaves=leaves_strategy)
def test_every_pair_of_sizes_has_a_consistency_proof_and_no_tampered_one_verifies(
    leaves: list[bytes],
) -> None:
    tree = _tree(leaves)
    roots = [_mth(leaves[:size]) for size in range(len(leaves) + 1)]
    for second in range(len(leaves) + 1):
        for first in range(second + 1):
            proof = consistency_proof(tree, first, second)
            verify_consistency(first, second, roots[first], roots[second], proof)
            if 0 < first < second:
                for bad in _corrupted(proof):
                    with pytest.raises(ProofError):
                        verify_consistency(first, second, roots[first], roots[second], bad)
                if roots[first] != roots[second]:
                    with pytest.raises(ProofError):
                        verify_consistency(first, second, roots[second], roots[first], proof)


def test_refusals() -> None:
    tree = _tree(LEAVES)
    with pytest.raises(ProofError):
        inclusion_proof(tree, 8, 8)
    with pytest.raises(ProofError):
        consistency_proof(tree, 5, 4)
    with pytest.raises(ProofError):
        verify_inclusion(0, 0, leaf_hash(b""), [], EMPTY_ROOT)
    with pytest.raises(ProofError):
        verify_consistency(1, 2, ROOTS[0], ROOTS[1], [])
    with pytest.raises(ProofError):
        verify_inclusion(0, 1, b"short", [], ROOTS[0])


class _CountingTree(MemoryTree):
    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def perfect(self, level: int, index: int) -> bytes:
        self.reads += 1
        return super().perfect(level, index)


@pytest.mark.parametrize("size", [1_000, 4_096, 65_537, 100_000])
def test_a_proof_reads_o_log_n_stored_hashes(size: int) -> None:
    tree = _CountingTree()
    for n in range(size):
        tree.append(leaf_hash(n.to_bytes(4, "big")))
    bound = 2 * size.bit_length()
    for index in (0, size // 3, size - 1):
        tree.reads = 0
        proof = inclusion_proof(tree, index, size)
        assert tree.reads <= bound, (index, tree.reads)
        verify_inclusion(index, size, leaf_hash(index.to_bytes(4, "big")), proof, root(tree, size))
    for first in (1, size // 2, size - 1):
        tree.reads = 0
        consistency_proof(tree, first, size)
        assert tree.reads <= bound, (first, tree.reads)
