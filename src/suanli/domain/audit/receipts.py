"""Receipts: what an organisation keeps to prove, later and offline, that its event is in the log.

A receipt holds the event, its leaf index, the tree size, the inclusion proof (RFC 9162 §2.1.3)
and the signed tree head of that size. Checking one needs only the log's public key.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from suanli.domain.audit.canonical import canonical_json
from suanli.domain.audit.errors import NotCanonical
from suanli.domain.audit.merkle import leaf_hash
from suanli.domain.audit.proofs import verify_inclusion
from suanli.domain.audit.signing import SignedTreeHead, key_id
from suanli.domain.audit.verdict import Tampering, Verdict

RECEIPT_SCHEMA = "suanli.audit.receipt/1"


def make_receipt(*, event: dict[str, Any], proof: Sequence[bytes], head: SignedTreeHead) -> dict[str, Any]:
    return {"schema": RECEIPT_SCHEMA, "leaf_index": event["seq"], "tree_size": head.tree_size,
            "leaf_hash": leaf_hash(canonical_json(event)).hex(), "inclusion_proof": [p.hex() for p in proof],
            "signed_head": head.to_dict(), "event": event}


def verify_receipt(receipt: dict[str, Any], public_key: Ed25519PublicKey) -> Verdict:
    try:
        event = receipt["event"]
        index = receipt["leaf_index"]
        head = SignedTreeHead.from_dict(receipt["signed_head"])
        proof = [bytes.fromhex(p) for p in receipt["inclusion_proof"]]
        leaf = leaf_hash(canonical_json(event))
        seq = event["seq"]
    except (KeyError, TypeError, ValueError, NotCanonical) as err:
        return Verdict.tampered(Tampering.MALFORMED, f"not a receipt: {err}")
    if not head.verify(public_key):
        return Verdict.tampered(Tampering.FOREIGN_SIGNATURE,
                                f"the head is not signed by key {key_id(public_key)} (it names {head.key_id})", seq)
    if seq != index or receipt.get("tree_size", head.tree_size) != head.tree_size:
        return Verdict.tampered(Tampering.EDITED_ENTRY, f"the event says seq {seq} but the receipt leaf {index}", seq)
    if receipt.get("leaf_hash", leaf.hex()) != leaf.hex():
        return Verdict.tampered(Tampering.EDITED_ENTRY, "the event does not hash to the receipt's leaf hash", seq)
    if not verify_inclusion(index, head.tree_size, leaf, proof, head.root_hash):
        return Verdict.tampered(Tampering.BAD_PROOF,
                                f"the event is not included in the signed tree of size {head.tree_size}", seq)
    return Verdict.intact(f"event seq {seq} ({event.get('kind')}) is in the log of size {head.tree_size} "
                          f"signed by {head.key_id}")
