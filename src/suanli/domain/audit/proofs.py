"""Inclusion and consistency proofs of RFC 9162 §2.1.3 and §2.1.4: generation over any store of
complete-subtree hashes, and the RFC's verification algorithms.

Generation first lists the subtree ranges a proof is made of (PATH and SUBPROOF, written as loops),
then asks the store for all their complete subtrees in one call, so a proof costs one batched
O(log n) read whatever the backing store is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from suanli.domain.audit.errors import InvalidProofRequest
from suanli.domain.audit.merkle import NodeKey, fold, largest_power_of_two_below, node_hash, range_nodes

Lookup = Callable[[Sequence[NodeKey]], dict[NodeKey, bytes]]
Range = tuple[int, int]


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """PATH(m, D[0:n]): the sibling subtrees from the leaf up to the root."""
    if not 0 <= index < size:
        raise InvalidProofRequest(f"leaf {index} is not in a tree of size {size}")
    ranges: list[Range] = []
    start, end = 0, size
    while end - start > 1:
        k = largest_power_of_two_below(end - start)
        if index - start < k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    return ranges[::-1]


def consistency_ranges(first: int, second: int) -> list[Range]:
    """SUBPROOF(m, D[0:n], true): what proves the tree of size `first` is a prefix of `second`."""
    if not 0 <= first <= second:
        raise InvalidProofRequest(f"no consistency proof from size {first} to size {second}")
    if first in (0, second):
        return []
    ranges: list[Range] = []
    start, end, whole = 0, second, True
    while True:
        size, m = end - start, first - start
        if m == size:
            if not whole:
                ranges.append((start, end))
            break
        k = largest_power_of_two_below(size)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start, whole = start + k, False
    return ranges[::-1]


def build(ranges: Sequence[Range], lookup: Lookup) -> list[bytes]:
    """Hash each range from its complete subtrees, fetched from the store in one call."""
    parts = [range_nodes(start, end) for start, end in ranges]
    hashes = lookup(sorted({key for keys in parts for key in keys}))
    return [fold([hashes[key] for key in keys]) for keys in parts]


def inclusion_proof(index: int, size: int, lookup: Lookup) -> list[bytes]:
    return build(inclusion_ranges(index, size), lookup)


def consistency_proof(first: int, second: int, lookup: Lookup) -> list[bytes]:
    return build(consistency_ranges(first, second), lookup)


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2."""
    if index >= size or index < 0:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes,
                       proof: Sequence[bytes]) -> bool:
    """RFC 9162 §2.1.4.2 (with the trivial cases first == second and first == 0)."""
    if first < 0 or first > second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == first_root and sr == second_root and sn == 0
