"""Tree heads (MTH) of RFC 9162 section 2.1.1: the tree over ``n`` leaves split at the
largest power of two below ``n``. Where the hashes live is a ``NodeReader``'s business.

Any range the RFC's recursion visits starts at a multiple of its largest power-of-two part,
so its hash is a fold of at most log2(n) *perfect* subtrees (2^level leaves, aligned), which
a store can keep and read directly: a tree head, or a proof, at any size reads O(log n)
stored hashes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from transparency.errors import ProofError
from transparency.hashing import EMPTY_ROOT, node_hash


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
    """The tree head of the first ``size`` leaves, from stored perfect-subtree hashes."""
    return range_hash(reader, 0, size)


class MemoryTree:
    """Leaf hashes in a list and every perfect subtree's hash as it completes: for tests,
    offline verifiers, and as the reference for a stored tree."""

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self.levels: list[list[bytes]] = [[]]
        for leaf in leaf_hashes:
            self.append(leaf)

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


def root_of_leaf_hashes(leaf_hashes: Iterable[bytes]) -> bytes:
    """The tree head over these leaf hashes, in order."""
    tree = MemoryTree(leaf_hashes)
    return root(tree, tree.size)
