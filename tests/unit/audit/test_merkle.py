"""RFC 9162 Merkle hashes, cross-checked against vectors computed by hand with hashlib."""

from __future__ import annotations

import hashlib

from suanli.domain.audit.merkle import EMPTY_ROOT, MemoryTree, leaf_hash, node_hash, range_nodes


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def test_the_empty_tree_hashes_to_the_sha256_of_nothing() -> None:
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert MemoryTree().root() == EMPTY_ROOT


def test_a_leaf_is_prefixed_with_zero_and_a_node_with_one() -> None:
    assert leaf_hash(b"") == sha(b"\x00")
    assert leaf_hash(b"") .hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    assert node_hash(b"L" * 32, b"R" * 32) == sha(b"\x01" + b"L" * 32 + b"R" * 32)


def test_trees_of_one_to_seven_leaves_match_hand_built_rfc9162_roots() -> None:
    d = [bytes([i]) * (i + 1) for i in range(7)]
    leaf = [sha(b"\x00" + x) for x in d]

    def h(a: bytes, b: bytes) -> bytes:
        return sha(b"\x01" + a + b)

    # MTH(D[n]) = H(0x01 || MTH(D[0:k]) || MTH(D[k:n])), k the largest power of two below n.
    expected = {
        1: leaf[0],
        2: h(leaf[0], leaf[1]),
        3: h(h(leaf[0], leaf[1]), leaf[2]),
        4: h(h(leaf[0], leaf[1]), h(leaf[2], leaf[3])),
        5: h(h(h(leaf[0], leaf[1]), h(leaf[2], leaf[3])), leaf[4]),
        6: h(h(h(leaf[0], leaf[1]), h(leaf[2], leaf[3])), h(leaf[4], leaf[5])),
        7: h(h(h(leaf[0], leaf[1]), h(leaf[2], leaf[3])), h(h(leaf[4], leaf[5]), leaf[6])),
    }
    tree = MemoryTree()
    for n in range(1, 8):
        tree.append(d[n - 1])
        assert tree.root() == expected[n], n
    for n in range(1, 8):
        assert tree.root(n) == expected[n], n


def test_a_range_splits_into_aligned_complete_subtrees_along_the_bits_of_its_size() -> None:
    assert range_nodes(0, 7) == [(2, 0), (1, 2), (0, 6)]
    assert range_nodes(8, 12) == [(2, 2)]
    assert range_nodes(0, 0) == []
