"""The export file and its offline verifier (`suanli audit verify FILE --pubkey KEY`).

An export is JSON lines: one header, then every event in sequence order
(`{"record": "event", "leaf_hash": hex, "event": {...}}`), then the signed tree heads
(`{"record": "head", ...}`), the last one signed at export time over the whole file. The verifier
rebuilds the tree from the events alone and reports the first thing that does not hold.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from suanli.domain.audit.canonical import canonical_json
from suanli.domain.audit.errors import NotCanonical
from suanli.domain.audit.merkle import MemoryTree, leaf_hash
from suanli.domain.audit.signing import SignedTreeHead, key_id
from suanli.domain.audit.verdict import Tampering, Verdict

EXPORT_SCHEMA = "suanli.audit.export/1"


def header_record(*, public_key: Ed25519PublicKey, tree_size: int, exported_at: str) -> dict[str, Any]:
    return {"record": "header", "schema": EXPORT_SCHEMA, "key_id": key_id(public_key),
            "tree_size": tree_size, "exported_at": exported_at}


def event_record(event: dict[str, Any], leaf: bytes) -> dict[str, Any]:
    return {"record": "event", "leaf_hash": leaf.hex(), "event": event}


def head_record(head: SignedTreeHead) -> dict[str, Any]:
    return {"record": "head", **head.to_dict()}


def verify_export(records: Iterable[dict[str, Any]], public_key: Ed25519PublicKey,
                  earlier_heads: Sequence[SignedTreeHead] = (), *, signed_tail: bool = True) -> Verdict:
    """Check an export; `earlier_heads` are heads the auditor kept from before (receipts, exports).

    `signed_tail=False` (the service checking its own database) allows entries after the newest head.
    """
    events: list[dict[str, Any]] = []
    heads: list[SignedTreeHead] = []
    for number, record in enumerate(records, start=1):
        kind = record.get("record") if isinstance(record, dict) else None
        if kind == "event" and isinstance(record.get("event"), dict):
            events.append(record)
        elif kind == "head":
            try:
                heads.append(SignedTreeHead.from_dict(record))
            except NotCanonical as err:
                return Verdict.tampered(Tampering.MALFORMED, f"line {number}: {err.detail}")
        elif kind != "header":
            return Verdict.tampered(Tampering.MALFORMED, f"line {number} is not an export record")
    if not heads and signed_tail:
        return Verdict.tampered(Tampering.TRUNCATED_TAIL, "the file holds no signed tree head")
    for head in [*heads, *earlier_heads]:
        if not head.verify(public_key):
            return Verdict.tampered(Tampering.FOREIGN_SIGNATURE,
                                    f"the head of tree size {head.tree_size} is not signed by key "
                                    f"{key_id(public_key)} (it names {head.key_id})")
    tree, verdict = _rebuild(events)
    if verdict is not None:
        return verdict
    return _check_heads(tree, sorted(heads, key=lambda h: h.tree_size), earlier_heads, signed_tail)


def _rebuild(events: list[dict[str, Any]]) -> tuple[MemoryTree, Verdict | None]:
    """Re-hash every event in order, checking sequence numbers and recorded leaf hashes."""
    tree = MemoryTree()
    seqs = [record["event"].get("seq") for record in events]
    for position, record in enumerate(events):
        seq = seqs[position]
        if seq != position:
            if position in seqs[position + 1:]:
                return tree, Verdict.tampered(Tampering.REORDERED_ENTRIES,
                                              f"position {position} holds seq {seq}; seq {position} comes later",
                                              position)
            return tree, Verdict.tampered(Tampering.DELETED_ENTRY,
                                          f"seq {position} is missing (the next entry is seq {seq})", position)
        try:
            leaf = leaf_hash(canonical_json(record["event"]))
        except (TypeError, ValueError) as err:
            return tree, Verdict.tampered(Tampering.MALFORMED, f"event is not JSON-encodable: {err}", position)
        if record.get("leaf_hash") != leaf.hex():
            return tree, Verdict.tampered(Tampering.EDITED_ENTRY,
                                          f"the {record['event'].get('kind')!r} event no longer hashes to its "
                                          "recorded leaf hash (a field was edited)", position)
        tree.append_leaf_hash(leaf)
    return tree, None


def _check_heads(tree: MemoryTree, heads: list[SignedTreeHead],
                 earlier_heads: Sequence[SignedTreeHead], signed_tail: bool) -> Verdict:
    for earlier in earlier_heads:
        if earlier.tree_size <= tree.size and tree.root(earlier.tree_size) != earlier.root_hash:
            return Verdict.tampered(Tampering.INCONSISTENT_WITH_EARLIER_HEAD,
                                    f"the log's first {earlier.tree_size} entries differ from the head you hold "
                                    "(history was rewritten)", _first_seq_after(heads, tree, earlier.tree_size))
    matched = 0
    for head in [*heads, *earlier_heads]:
        if head.tree_size > tree.size:
            return Verdict.tampered(Tampering.TRUNCATED_TAIL,
                                    f"a signed head covers {head.tree_size} entries but the file ends after "
                                    f"{tree.size}", tree.size)
    for head in heads:
        if tree.root(head.tree_size) != head.root_hash:
            return Verdict.tampered(Tampering.ROOT_MISMATCH,
                                    f"entries from seq {matched} to {head.tree_size - 1} do not match the signed "
                                    f"head of size {head.tree_size} (rewritten with their leaf hashes)", matched)
        matched = head.tree_size
    newest = heads[-1].tree_size if heads else 0
    if signed_tail and tree.size > newest:
        return Verdict.tampered(Tampering.FORGED_APPEND,
                                f"{tree.size - heads[-1].tree_size} entries after the newest signed head "
                                f"(size {heads[-1].tree_size}) are signed by nobody", heads[-1].tree_size)
    return Verdict.intact(f"{tree.size} entries, {len(heads)} signed heads, root {tree.root().hex()}")


def _first_seq_after(heads: list[SignedTreeHead], tree: MemoryTree, size: int) -> int:
    """The first seq not vouched for by a matching head in the file, below `size`."""
    good = [h.tree_size for h in heads if h.tree_size <= size and tree.root(h.tree_size) == h.root_hash]
    return max(good, default=0)
