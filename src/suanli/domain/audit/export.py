"""The export file and its offline verifier (`suanli audit verify FILE --pubkey KEY`).

An export is JSON lines: one header, then every event in sequence order
(`{"record": "event", "leaf_hash": hex, "event": {...}}`), then the signed tree heads
(`{"record": "head", ...}`), the last one signed at export time over the whole file. The verifier
rebuilds the tree from the events alone and reports the first thing that does not hold.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from suanli.domain.audit.canonical import canonical_json
from suanli.domain.audit.errors import NotCanonical
from suanli.domain.audit.merkle import EMPTY_ROOT, append_to_frontier, fold, leaf_hash
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


Records = Callable[[], Iterable[dict[str, Any]]] | Iterable[dict[str, Any]]


def export_records(lines: Iterable[bytes], where: str) -> Iterator[dict[str, Any]]:
    """The records of an export file's lines as read (bytes): a line that is not UTF-8, not JSON, nested
    past the parser's depth or not an object becomes a record the verifier names as malformed, so a
    garbage, GBK or UTF-16 file is a verdict on its first bad line, never a decoding exception."""
    for number, line in enumerate(lines, start=1):
        if line.strip():
            yield _record(line, f"{where}:{number}")


def _record(line: bytes, where: str) -> dict[str, Any]:
    try:
        value = json.loads(line.decode("utf-8"))
    except UnicodeDecodeError as err:
        return {"record": f"not UTF-8 text ({where}, byte {err.start + 1})"}
    except (ValueError, RecursionError) as err:  # RecursionError: `[[[[...` deeper than the parser goes
        return {"record": f"unparseable JSON ({where}: {str(err)[:200]})"}
    return value if isinstance(value, dict) else {"record": f"not an object ({where})"}


def verify_export(records: Records, public_key: Ed25519PublicKey,
                  earlier_heads: Sequence[SignedTreeHead] = (), *, signed_tail: bool = True) -> Verdict:
    """Check an export; `earlier_heads` are heads the auditor kept from before (receipts, exports).

    In bounded memory when `records` is a callable that reads the export afresh on each call (the CLI
    passes one over the file): a first pass keeps only the signed heads, a second re-hashes the events
    keeping the tree's frontier (log2 n hashes) and the roots at the sizes the heads name, never the
    events (4 million entries verify in tens of MB, where holding them took 11 GB). Another iterable
    is read once into memory. `signed_tail=False` (the service checking its own database) allows
    entries after the newest head.
    """
    if not callable(records):
        kept = records if isinstance(records, Sequence) else list(records)
        records = lambda: kept
    heads, verdict = _read_heads(records())
    if verdict is not None:
        return verdict
    if not heads and signed_tail:
        return Verdict.tampered(Tampering.TRUNCATED_TAIL, "the file holds no signed tree head")
    for head in [*heads, *earlier_heads]:
        if not head.verify(public_key):
            return Verdict.tampered(Tampering.FOREIGN_SIGNATURE,
                                    f"the head of tree size {head.tree_size} is not signed by key "
                                    f"{key_id(public_key)} (it names {head.key_id})")
    wanted = {h.tree_size for h in [*heads, *earlier_heads]}
    tree, verdict = _rebuild(_events(records()), wanted)
    if verdict is not None:
        return verdict
    return _check_heads(tree, sorted(heads, key=lambda h: h.tree_size), earlier_heads, signed_tail)


def _read_heads(records: Iterable[dict[str, Any]]) -> tuple[list[SignedTreeHead], Verdict | None]:
    """First pass: the signed heads, and the first line that is no export record at all."""
    heads: list[SignedTreeHead] = []
    for number, record in enumerate(records, start=1):
        kind = record.get("record") if isinstance(record, dict) else None
        if kind == "event" and isinstance(record.get("event"), dict):
            continue
        if kind == "head":
            try:
                heads.append(SignedTreeHead.from_dict(record))
            except NotCanonical as err:
                return heads, Verdict.tampered(Tampering.MALFORMED, f"line {number}: {err.detail}")
        elif kind != "header":
            return heads, Verdict.tampered(Tampering.MALFORMED, f"line {number} is not an export record")
    return heads, None


def _events(records: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    return (r for r in records if r.get("record") == "event")


@dataclass
class _Rebuilt:
    """The tree as the verifier keeps it: its size, its frontier and the roots at the wanted sizes."""

    wanted: set[int]
    size: int = 0
    frontier: list[bytes] = field(default_factory=list)
    roots: dict[int, bytes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if 0 in self.wanted:
            self.roots[0] = EMPTY_ROOT

    def append(self, leaf: bytes) -> None:
        append_to_frontier(self.frontier, self.size, leaf)
        self.size += 1
        if self.size in self.wanted:
            self.roots[self.size] = fold(self.frontier)

    def root(self, size: int | None = None) -> bytes:
        return fold(self.frontier) if size is None or size == self.size else self.roots[size]


def _rebuild(events: Iterator[dict[str, Any]], wanted: set[int]) -> tuple[_Rebuilt, Verdict | None]:
    """Second pass: re-hash every event in order, checking sequence numbers and recorded leaf hashes."""
    tree = _Rebuilt(wanted)
    for position, record in enumerate(events):
        seq = record["event"].get("seq")
        if seq != position:
            if any(later["event"].get("seq") == position for later in events):  # reads on to the end
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
        tree.append(leaf)
    return tree, None


def _check_heads(tree: _Rebuilt, heads: list[SignedTreeHead],
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


def _first_seq_after(heads: list[SignedTreeHead], tree: _Rebuilt, size: int) -> int:
    """The first seq not vouched for by a matching head in the file, below `size`."""
    good = [h.tree_size for h in heads if h.tree_size <= size and tree.root(h.tree_size) == h.root_hash]
    return max(good, default=0)
