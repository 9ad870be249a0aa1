"""RFC 9162 Merkle tree hashing (SHA-256) and the arithmetic of complete subtrees.

A tree of n leaves is stored as its *complete subtrees*: node (level, index) is the hash of leaves
[index * 2**level, (index + 1) * 2**level). Appending leaf n completes exactly the nodes on the
right edge whose range ends at n + 1, so an append writes O(log n) nodes and never rewrites one.
The *frontier* is the list of complete subtrees covering [0, n) from the largest to the smallest;
the root MTH(D[0:n]) folds it from the right (RFC 9162 §2.1.1).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

NodeKey = tuple[int, int]  # (level, index)


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def largest_power_of_two_below(n: int) -> int:
    """k in RFC 9162: the largest power of two strictly smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def range_nodes(start: int, end: int) -> list[NodeKey]:
    """The complete subtrees whose hashes make MTH(D[start:end]), left to right.

    Valid for the ranges RFC 9162 proofs use: `start` is a multiple of a power of two at least
    `end - start`, so the range splits along the bits of its size into aligned complete subtrees.
    """
    keys: list[NodeKey] = []
    position, size = start, end - start
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            keys.append((level, position >> level))
            position += 1 << level
    return keys


def fold(hashes: Sequence[bytes]) -> bytes:
    """Combine complete-subtree hashes (largest first) into the root, from the right."""
    if not hashes:
        return EMPTY_ROOT
    root = hashes[-1]
    for h in reversed(hashes[:-1]):
        root = node_hash(h, root)
    return root


def frontier_keys(size: int) -> list[NodeKey]:
    return range_nodes(0, size)


def append_to_frontier(frontier: list[bytes], size: int, leaf: bytes) -> list[tuple[NodeKey, bytes]]:
    """Append `leaf` as leaf number `size`, updating `frontier` in place.

    Returns the complete subtrees the append created (the leaf itself first), which a store writes.
    """
    created: list[tuple[NodeKey, bytes]] = [((0, size), leaf)]
    current, level, index = leaf, 0, size
    while index & 1:
        current = node_hash(frontier.pop(), current)
        level, index = level + 1, index >> 1
        created.append(((level, index), current))
    frontier.append(current)
    return created


def pack(hashes: Sequence[bytes]) -> bytes:
    return b"".join(hashes)


def unpack(blob: bytes) -> list[bytes]:
    return [blob[i:i + HASH_SIZE] for i in range(0, len(blob), HASH_SIZE)]


class MemoryTree:
    """An in-memory tree with every complete subtree kept, for verifiers, tests and bulk loads."""

    def __init__(self) -> None:
        self.levels: list[list[bytes]] = [[]]
        self.frontier: list[bytes] = []

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def append_leaf_hash(self, leaf: bytes) -> None:
        for (level, _index), h in append_to_frontier(self.frontier, self.size, leaf):
            if level == len(self.levels):
                self.levels.append([])
            self.levels[level].append(h)

    def append(self, data: bytes) -> None:
        self.append_leaf_hash(leaf_hash(data))

    def node(self, key: NodeKey) -> bytes:
        level, index = key
        return self.levels[level][index]

    def nodes(self, keys: Sequence[NodeKey]) -> dict[NodeKey, bytes]:
        return {k: self.node(k) for k in keys}

    def root(self, size: int | None = None) -> bytes:
        size = self.size if size is None else size
        return fold([self.node(k) for k in range_nodes(0, size)])
