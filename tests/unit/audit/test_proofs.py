"""Inclusion and consistency proofs (RFC 9162 §2.1.3, §2.1.4) over random tree sizes."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from suanli.domain.audit.merkle import MemoryTree
from suanli.domain.audit.proofs import (
    consistency_proof,
    inclusion_proof,
    verify_consistency,
    verify_inclusion,
)

MAX = 300
TREE = MemoryTree()
for _i in range(MAX):
    TREE.append(_i.to_bytes(4, "big"))


def reference_mth(leaves: list[bytes]) -> bytes:
    """MTH written straight from RFC 9162 §2.1.1, recursively, independent of the code under test."""
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + reference_mth(leaves[:k]) + reference_mth(leaves[k:])).digest()


def test_the_stored_subtree_roots_agree_with_the_recursive_rfc_definition() -> None:
    leaves = TREE.levels[0]
    for n in (1, 2, 3, 5, 8, 13, 64, 100, 255, 256, 300):
        assert TREE.root(n) == reference_mth(leaves[:n])


def test_the_rfc9162_inclusion_example_for_leaf_d_in_a_tree_of_seven() -> None:
    # RFC 9162 §2.1.5: the audit path for d (index 3) in a tree of 7 is [c, g, l] = [leaf 2, (a,b), (e,f,g)].
    leaves = TREE.levels[0]
    proof = inclusion_proof(3, 7, TREE.nodes)
    assert proof == [leaves[2], reference_mth(leaves[0:2]), reference_mth(leaves[4:7])]


def test_the_rfc9162_consistency_example_from_three_to_seven() -> None:
    # RFC 9162 §2.1.5: the consistency proof between sizes 3 and 7 is [c, d, g, l].
    leaves = TREE.levels[0]
    proof = consistency_proof(3, 7, TREE.nodes)
    assert proof == [leaves[2], leaves[3], reference_mth(leaves[0:2]), reference_mth(leaves[4:7])]


@settings(max_examples=300, deadline=None)
@given(st.integers(1, MAX).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1))))
def test_every_leaf_has_an_inclusion_proof_that_verifies_and_no_other_leaf_fits_it(case: tuple[int, int]) -> None:
    size, index = case
    proof = inclusion_proof(index, size, TREE.nodes)
    root = TREE.root(size)
    assert verify_inclusion(index, size, TREE.levels[0][index], proof, root)
    assert not verify_inclusion(index, size, TREE.levels[0][(index + 1) % MAX], proof, root)
    if size > 1:
        assert not verify_inclusion((index + 1) % size, size, TREE.levels[0][index], proof, root)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, MAX).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_any_two_sizes_have_a_consistency_proof_that_verifies(case: tuple[int, int]) -> None:
    first, second = case
    proof = consistency_proof(first, second, TREE.nodes)
    assert verify_consistency(first, second, TREE.root(first), TREE.root(second), proof)


@settings(max_examples=200, deadline=None)
@given(st.integers(2, MAX).flatmap(lambda n: st.tuples(st.integers(1, n - 1), st.just(n))))
def test_a_rewritten_prefix_fails_the_consistency_check(case: tuple[int, int]) -> None:
    first, second = case
    proof = consistency_proof(first, second, TREE.nodes)
    forged_first_root = hashlib.sha256(b"another history").digest()
    assert not verify_consistency(first, second, forged_first_root, TREE.root(second), proof)
    if proof:
        bent = [bytes(32)] + proof[1:]
        assert not verify_consistency(first, second, TREE.root(first), TREE.root(second), bent)
